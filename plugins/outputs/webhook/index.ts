import { defineOutput } from '../../../core/plugin/define.ts';
import { webhookConfig } from './config.ts';
import { WebhookOutput } from './webhook.ts';

/** The webhook output: alert events as Alertmanager-webhook-shaped JSON notifications. */
export const webhookOutput = defineOutput({
  name: 'webhook',
  description:
    'Posts alert events as Alertmanager webhook notifications (version 4 JSON, grouped by labels) to a URL',
  config: webhookConfig,
  create: (config, ctx) => new WebhookOutput(config, ctx),
});
