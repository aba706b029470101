import { z } from 'zod';
import { duration } from '../../../core/config/duration.ts';
import { httpTlsKeys } from '../../../core/lib/http/client.ts';
import { secret } from '../../../core/config/secret.ts';

/** Config of the prometheus_remote_write output. */
export const prometheusRemoteWriteConfig = z.strictObject({
  url: z
    .url()
    .default('http://127.0.0.1:9090/api/v1/write')
    .describe('Remote write receiver (Prometheus: /api/v1/write).'),
  username: z.string().optional().describe('Basic auth user.'),
  password: secret.optional().describe('Basic auth password.'),
  bearer_token: secret.optional().describe('Bearer token (Authorization: Bearer ...).'),
  headers: z
    .record(z.string(), z.string())
    .default({})
    .describe('Extra request headers (e.g. X-Scope-OrgID).'),
  timeout: duration.prefault('10s').describe('Request timeout.'),
  tls_ca: httpTlsKeys.tls_ca,
  insecure_skip_verify: httpTlsKeys.insecure_skip_verify,
});

export type PrometheusRemoteWriteConfig = z.output<typeof prometheusRemoteWriteConfig>;
