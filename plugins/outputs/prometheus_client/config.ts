import { z } from 'zod';
import { duration } from '../../../core/config/duration.ts';
import { secret } from '../../../core/config/secret.ts';

/** Config of the prometheus_client output. */
export const prometheusClientConfig = z
  .strictObject({
    listen: z
      .string()
      .min(1)
      .default('127.0.0.1:9274')
      .describe('Address the exposition endpoint listens on (host:port).'),
    path: z.string().startsWith('/').default('/metrics').describe('Path of the exposition endpoint.'),
    expiration_interval: duration
      .prefault('60s')
      .describe('A series not written for this long disappears from the endpoint (0 keeps series forever).'),
    counters: z
      .array(z.string())
      .default(['*_total'])
      .describe(
        'Globs of sample names exposed as counters; the others are gauges (histograms are detected).',
      ),
    export_timestamp: z.boolean().default(false).describe('Write each sample with the time of its metric.'),
    basic_username: secret.optional().describe('Require HTTP basic auth with this user name.'),
    basic_password: secret.optional().describe('Password for basic_username.'),
    tls_cert: z.string().optional().describe('PEM certificate file: serve over https.'),
    tls_key: z.string().optional().describe('PEM key file for tls_cert.'),
  })
  .superRefine((cfg, ctx) => {
    if ((cfg.tls_cert === undefined) !== (cfg.tls_key === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['tls_key'], message: 'tls_cert and tls_key go together' });
    }
  });

export type PrometheusClientConfig = z.output<typeof prometheusClientConfig>;
