import { z } from 'zod';
import { duration, size } from '../../../core/config/duration.ts';
import { secret } from '../../../core/config/secret.ts';

/** Config of the prometheus input. */
export const prometheusConfig = z.strictObject({
  urls: z
    .array(z.url())
    .min(1)
    .meta({ example: ['http://127.0.0.1:9100/metrics'] })
    .describe('Endpoints to scrape, each on every gather.'),
  measurement: z.string().min(1).default('prometheus').describe('Measurement name of every scraped sample.'),
  url_tag: z.string().default('url').describe('Tag carrying the scraped url ("" = none).'),
  response_timeout: duration.prefault('5s').describe('Deadline of one scrape.'),
  headers: z.record(z.string(), z.string()).default({}).describe('Extra request headers.'),
  bearer_token: secret.optional().describe('Bearer token sent in the Authorization header.'),
  bearer_token_file: z.string().optional().describe('File holding the bearer token (read on each scrape).'),
  username: z.string().optional().describe('Basic auth user.'),
  password: secret.optional().describe('Basic auth password.'),
  tls_ca: z.string().optional().describe('PEM CA file to trust for https.'),
  insecure_skip_verify: z.boolean().default(false).describe('Skip TLS certificate checks (testing only).'),
  max_body_size: size.prefault('32MiB').describe('Largest response accepted; larger ones fail the scrape.'),
});

export type PrometheusConfig = z.output<typeof prometheusConfig>;
