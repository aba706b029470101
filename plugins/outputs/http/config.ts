import { z } from 'zod';
import { duration } from '../../../core/config/duration.ts';
import { httpAuthKeys, httpTlsKeys } from '../../../core/lib/http/client.ts';
import { dataFormatSchema, precisionSchema } from '../../../core/format/registry.ts';

/** Config of the http output. */
export const httpConfig = z.strictObject({
  url: z.url().meta({ example: 'http://127.0.0.1:8080/write' }).describe('Where batches are sent.'),
  method: z.enum(['POST', 'PUT', 'PATCH']).default('POST').describe('HTTP method.'),
  data_format: dataFormatSchema.default('influx').describe('Body format: influx (line protocol) or json.'),
  precision: precisionSchema.default('ns').describe('Timestamp precision of line protocol.'),
  content_encoding: z.enum(['identity', 'gzip']).default('identity').describe('Compress bodies with gzip.'),
  headers: z.record(z.string(), z.string()).default({}).describe('Extra request headers.'),
  ...httpAuthKeys,
  timeout: duration.prefault('5s').describe('Request timeout.'),
  tls_ca: httpTlsKeys.tls_ca,
  insecure_skip_verify: httpTlsKeys.insecure_skip_verify,
  success_codes: z
    .array(z.number().int())
    .default([200, 201, 202, 204])
    .describe('Statuses that mean delivered.'),
});

export type HttpConfig = z.output<typeof httpConfig>;
