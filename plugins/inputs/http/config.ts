import { z } from 'zod';
import { duration, size } from '../../../core/config/duration.ts';
import { precisionSchema } from '../../../core/format/registry.ts';
import { recordFormatSchema } from '../../../core/lib/listen/format.ts';
import { jsonObjectKeys } from '../../../core/lib/listen/json-objects.ts';
import { secret } from '../../../core/config/secret.ts';

/** Config of the http input. */
export const httpInputConfig = z.strictObject({
  urls: z
    .array(z.url())
    .min(1)
    .meta({ example: ['http://127.0.0.1:8080/stats'] })
    .describe('Endpoints to poll, each on every gather.'),
  method: z.enum(['GET', 'POST', 'PUT']).default('GET').describe('HTTP method.'),
  headers: z.record(z.string(), z.string()).default({}).describe('Extra request headers.'),
  body: z.string().default('').describe('Request body ("" = none).'),
  bearer_token: secret.optional().describe('Bearer token sent in the Authorization header.'),
  bearer_token_file: z.string().optional().describe('File holding the bearer token (read on each request).'),
  username: z.string().optional().describe('Basic auth user.'),
  password: secret.optional().describe('Basic auth password.'),
  response_timeout: duration.prefault('5s').describe('Deadline of one request.'),
  success_status_codes: z
    .array(z.number().int())
    .default([200])
    .describe('Statuses whose body is parsed; any other fails the gather.'),
  tls_ca: z.string().optional().describe('PEM CA file to trust for https.'),
  insecure_skip_verify: z.boolean().default(false).describe('Skip TLS certificate checks (testing only).'),
  max_body_size: size.prefault('32MiB').describe('Largest response accepted.'),
  url_tag: z.string().default('url').describe('Tag carrying the polled url ("" = none).'),
  data_format: recordFormatSchema
    .default('json')
    .describe('influx (line protocol) or json (arbitrary JSON, read with the json_* keys).'),
  precision: precisionSchema.default('ns').describe('Unit of line protocol timestamps.'),
  ...jsonObjectKeys,
});

export type HttpInputConfig = z.output<typeof httpInputConfig>;
