import { z } from 'zod';
import { duration } from '../../../core/config/duration.ts';
import { httpTlsKeys } from '../../../core/lib/http/client.ts';
import { precisionSchema } from '../../../core/format/registry.ts';
import { secret } from '../../../core/config/secret.ts';

const HOUR_MS = 3_600_000;

/** One retention policy to provision. */
const retentionPolicySchema = z
  .strictObject({
    name: z.string().min(1).describe('Retention policy name.'),
    duration: duration.describe('How long InfluxDB keeps data in it ("0s" = forever); at least 1h.'),
    shard_duration: duration
      .prefault('0s')
      .describe("Shard group duration; 0 = the server's choice (from duration)."),
    replication: z.number().int().positive().default(1).describe('Replication factor.'),
    default: z.boolean().default(false).describe('Make it the database default.'),
  })
  .refine((r) => r.duration === 0 || r.duration >= HOUR_MS, {
    message: 'duration must be 0 (forever) or at least 1h',
    path: ['duration'],
  })
  .refine((r) => r.shard_duration === 0 || r.shard_duration >= HOUR_MS, {
    message: 'shard_duration must be at least 1h',
    path: ['shard_duration'],
  });

/** One continuous query to provision. */
const continuousQuerySchema = z.strictObject({
  name: z.string().min(1).describe('Continuous query name.'),
  query: z
    .string()
    .min(1)
    .describe('The SELECT ... INTO ... FROM ... GROUP BY time(...) between BEGIN and END.'),
  resample_every: duration.prefault('0s').describe('RESAMPLE EVERY (0 = the GROUP BY interval).'),
  resample_for: duration.prefault('0s').describe('RESAMPLE FOR (0 = the GROUP BY interval).'),
});

/** Provisioning of the output's database: applied on connect (start, reload), idempotently. */
export const provisionSchema = z
  .strictObject({
    retention_policies: z
      .array(retentionPolicySchema)
      .default([])
      .describe('Retention policies: created when missing, ALTERed when they differ.'),
    continuous_queries: z
      .array(continuousQuerySchema)
      .default([])
      .describe('Continuous queries: created when missing, dropped and created again when they differ.'),
  })
  .refine((p) => p.retention_policies.filter((r) => r.default).length <= 1, {
    message: 'at most one retention policy can be the default',
    path: ['retention_policies'],
  })
  .refine((p) => new Set(p.retention_policies.map((r) => r.name)).size === p.retention_policies.length, {
    message: 'two retention policies have one name',
    path: ['retention_policies'],
  })
  .refine((p) => new Set(p.continuous_queries.map((c) => c.name)).size === p.continuous_queries.length, {
    message: 'two continuous queries have one name',
    path: ['continuous_queries'],
  });

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
  provision: provisionSchema
    .optional()
    .describe(
      'Create the database, its retention policies and continuous queries on connect (at start and on every reload); see docs/RETENTION.md.',
    ),
  tls_ca: httpTlsKeys.tls_ca,
  insecure_skip_verify: httpTlsKeys.insecure_skip_verify,
});

export type InfluxdbConfig = z.output<typeof influxdbConfig>;
