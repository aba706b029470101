import { z } from 'zod';
import { duration } from '../../../core/config/duration.ts';
import { httpAuthKeys, httpTlsKeys } from '../../../core/lib/http/client.ts';

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
  ...httpAuthKeys,
  headers: z.record(z.string(), z.string()).default({}).describe('Extra request headers.'),
  timeout: duration.prefault('10s').describe('Request timeout.'),
  ...httpTlsKeys,
});

export type WebhookConfig = z.output<typeof webhookConfig>;
