import { z } from 'zod';
import { duration } from '../../../core/config/duration.ts';

/** Config of the webhook output. */
export const webhookConfig = z.strictObject({
  url: z
    .url()
    .meta({ example: 'http://127.0.0.1:9095/alerts' })
    .describe('Where notifications are posted (Alertmanager webhook_config format).'),
  receiver: z.string().default('viva').describe('The receiver name in the notification.'),
  external_url: z
    .string()
    .default('')
    .describe('The externalURL in the notification (where the alerts can be seen).'),
  group_by: z
    .array(z.string())
    .default(['alertname'])
    .describe(
      'Labels grouping the alerts of a batch into one notification each; ["..."] = one notification per alert.',
    ),
  send_resolved: z.boolean().default(true).describe('Notify about resolved alerts too.'),
  max_alerts: z
    .number()
    .int()
    .min(0)
    .default(0)
    .describe('Most alerts in one notification (the rest are counted in truncatedAlerts); 0 = no limit.'),
  username: z.string().optional().describe('Basic auth user.'),
  password: z.string().optional().describe('Basic auth password.'),
  token: z.string().optional().describe('Bearer token (Authorization: Bearer ...).'),
  headers: z.record(z.string(), z.string()).default({}).describe('Extra request headers.'),
  timeout: duration.prefault('10s').describe('Request timeout.'),
  tls_ca: z.string().optional().describe('PEM CA file to trust for https.'),
  tls_cert: z.string().optional().describe('PEM client certificate file (mutual TLS).'),
  tls_key: z.string().optional().describe('PEM client key file (mutual TLS).'),
  insecure_skip_verify: z.boolean().default(false).describe('Skip TLS certificate checks (testing only).'),
});

export type WebhookConfig = z.output<typeof webhookConfig>;
