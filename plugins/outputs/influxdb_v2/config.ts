import { z } from 'zod';
import { duration } from '../../../core/config/duration.ts';
import { httpTlsKeys } from '../../../core/lib/http/client.ts';
import { precisionSchema } from '../../../core/format/registry.ts';
import { secret } from '../../../core/config/secret.ts';

/** Config of the influxdb_v2 output. */
export const influxdbV2Config = z.strictObject({
  urls: z
    .array(z.url())
    .min(1)
    .default(['http://127.0.0.1:8086'])
    .describe('InfluxDB 2.x servers; a write goes to the first that answers, failing over to the next.'),
  token: secret
    .meta({ example: 'viva-write-token' })
    .describe('API token with write permission on the bucket.'),
  organization: z
    .string()
    .min(1)
    .meta({ example: 'viva' })
    .describe('Organization name (or id) of the bucket.'),
  bucket: z.string().min(1).meta({ example: 'metrics' }).describe('Bucket written to.'),
  precision: precisionSchema.default('ns').describe('Timestamp precision of the written points.'),
  content_encoding: z
    .enum(['gzip', 'identity'])
    .default('gzip')
    .describe('Compress request bodies with gzip.'),
  timeout: duration.prefault('5s').describe('Deadline of one HTTP request.'),
  http_headers: z.record(z.string(), z.string()).default({}).describe('Extra request headers.'),
  tls_ca: httpTlsKeys.tls_ca,
  insecure_skip_verify: httpTlsKeys.insecure_skip_verify,
});

export type InfluxdbV2Config = z.output<typeof influxdbV2Config>;
