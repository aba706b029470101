import { z } from 'zod';
import { duration } from '../../../core/config/duration.ts';
import { dataFormatSchema, precisionSchema } from '../../../core/format/registry.ts';

/** Config of the http output. */
export const httpConfig = z.strictObject({
  url: z.url().meta({ example: 'http://127.0.0.1:8080/write' }).describe('Where batches are sent.'),
  method: z.enum(['POST', 'PUT', 'PATCH']).default('POST').describe('HTTP method.'),
  data_format: dataFormatSchema.default('influx').describe('Body format: influx (line protocol) or json.'),
  precision: precisionSchema.default('ns').describe('Timestamp precision of line protocol.'),
  content_encoding: z.enum(['identity', 'gzip']).default('identity').describe('Compress bodies with gzip.'),
  headers: z.record(z.string(), z.string()).default({}).describe('Extra request headers.'),
  username: z.string().optional().describe('Basic auth user.'),
  password: z.string().optional().describe('Basic auth password.'),
  token: z.string().optional().describe('Bearer token (Authorization: Bearer ...).'),
  timeout: duration.prefault('5s').describe('Request timeout.'),
  tls_ca: z.string().optional().describe('PEM CA file to trust for https.'),
  insecure_skip_verify: z.boolean().default(false).describe('Skip TLS certificate checks (testing only).'),
  success_codes: z
    .array(z.number().int())
    .default([200, 201, 202, 204])
    .describe('Statuses that mean delivered.'),
});

export type HttpConfig = z.output<typeof httpConfig>;
