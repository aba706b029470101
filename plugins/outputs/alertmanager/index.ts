import { defineOutput } from '../../../core/plugin/define.ts';
import { AlertmanagerOutput } from './alertmanager.ts';
import { alertmanagerConfig } from './config.ts';

/** The alertmanager output: the alert processor's events to Alertmanager's v2 API. */
export const alertmanagerOutput = defineOutput({
  name: 'alertmanager',
  description:
    "Posts the alert processor's events to Alertmanager's v2 API (failover URLs, auth, TLS, Retry-After)",
  config: alertmanagerConfig,
  create: (config, ctx) => new AlertmanagerOutput(config, ctx),
});
