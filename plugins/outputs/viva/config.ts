import { z } from 'zod';
import { duration, size } from '../../../core/config/duration.ts';
import { secret } from '../../../core/config/secret.ts';
import { httpTlsKeys } from '../../../core/lib/http/client.ts';

/** Config of the viva output (agent to collector). */
export const vivaConfig = z.strictObject({
  urls: z
    .array(z.url())
    .min(1)
    .default(['http://127.0.0.1:8470'])
    .describe('Collectors; a batch is POSTed to <url>/v1/batch.'),
  balance: z
    .enum(['failover', 'round_robin'])
    .default('failover')
    .describe(
      'failover: the first healthy collector in order; round_robin: spread batches over the healthy ones.',
    ),
  data_format: z
    .enum(['binary', 'influx'])
    .default('binary')
    .describe('Body format: binary (VIVA batch format) or influx (line protocol).'),
  content_encoding: z
    .enum(['gzip', 'identity'])
    .default('gzip')
    .describe('Compress request bodies with gzip.'),
  gzip_level: z.number().int().min(1).max(9).default(1).describe('gzip level, 1 (fastest) to 9 (smallest).'),
  token: secret
    .optional()
    .describe('Bearer token the collector expects (a secret: take it from the environment).'),
  agent_id: z
    .string()
    .default('')
    .describe('This agent in the X-Viva-Agent header; empty means the host name (os.hostname()).'),
  timeout: duration.prefault('10s').describe('Deadline of one request, connect included.'),
  retry_min: duration
    .prefault('1s')
    .describe('First backoff of a failed collector; doubles on each failure up to retry_max.'),
  retry_max: duration.prefault('30s').describe('Longest backoff of a failed collector.'),
  max_body_bytes: size
    .optional()
    .describe('Split a batch before sending so each uncompressed body stays under this size.'),
  max_body_metrics: z
    .number()
    .int()
    .min(1)
    .default(5000)
    .describe(
      'Split a batch into bodies of at most this many metrics, sent concurrently (up to max_in_flight).',
    ),
  max_in_flight: z
    .number()
    .int()
    .min(1)
    .max(64)
    .default(4)
    .describe(
      'Bodies POSTed at the same time over the keep-alive connections, over all writes: the agent ' +
        'writes up to this many batches at once, the next while earlier ones await their answer.',
    ),
  ...httpTlsKeys,
});

export type VivaConfig = z.output<typeof vivaConfig>;
