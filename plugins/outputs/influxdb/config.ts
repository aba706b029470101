import { z } from 'zod';
import { duration } from '../../../core/config/duration.ts';
import { httpTlsKeys } from '../../../core/lib/http/client.ts';
import { precisionSchema } from '../../../core/format/registry.ts';
import { secret } from '../../../core/config/secret.ts';

/** Config of the influxdb (v1 API) output. */
export const influxdbConfig = z.strictObject({
  urls: z
    .array(z.url())
    .min(1)
    .default(['http://127.0.0.1:8086'])
    .describe('InfluxDB servers; a write goes to the first that answers, failing over to the next.'),
  database: z.string().min(1).default('viva').describe('Database written to.'),
  retention_policy: z
    .string()
    .default('')
    .describe('Retention policy written to; empty means the default one.'),
  precision: precisionSchema.default('ns').describe('Timestamp precision of the written points.'),
  username: z.string().optional().describe('User name (basic auth).'),
  password: secret.optional().describe('Password (basic auth).'),
  content_encoding: z
    .enum(['gzip', 'identity'])
    .default('gzip')
    .describe('Compress request bodies with gzip.'),
  skip_database_creation: z
    .boolean()
    .default(false)
    .describe('Do not run CREATE DATABASE on connect or when the server says the database is missing.'),
  influx_uint_support: z
    .boolean()
    .default(false)
    .describe('Write unsigned fields as unsigned (`5u`, InfluxDB 1.8+); otherwise as integers.'),
  timeout: duration.prefault('5s').describe('Deadline of one HTTP request.'),
  http_headers: z.record(z.string(), z.string()).default({}).describe('Extra request headers.'),
  tls_ca: httpTlsKeys.tls_ca,
  insecure_skip_verify: httpTlsKeys.insecure_skip_verify,
});

export type InfluxdbConfig = z.output<typeof influxdbConfig>;
