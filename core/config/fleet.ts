/**
 * `[agent.fleet]`: an agent reporting to a collector's fleet registry (heartbeats) and, when
 * `config` names one, running the central config the collector serves (docs/FLEET.md).
 */
import { z } from 'zod';
import { duration } from './duration.ts';
import { secret } from './secret.ts';

export const fleetAgentObject = z.strictObject({
  collector: z
    .string()
    .default('')
    .refine((s) => s === '' || /^https?:\/\/[^/]+/.test(s), 'must be an http:// or https:// URL')
    .describe(
      'Collector URL (http:// or https://, no path): heartbeats go to <collector>/v1/heartbeat; empty: the agent reports to no fleet.',
    ),
  token: secret
    .optional()
    .describe(
      'Bearer token of the collector (one of its [collector.tokens]; a secret: take it from the environment).',
    ),
  id: z
    .string()
    .default('')
    .describe(
      "This agent in the registry; empty means the [agent] hostname (or the host name). Use the viva output's agent_id.",
    ),
  interval: duration
    .prefault('10s')
    .describe('Heartbeat interval; the collector calls the agent silent after 3 missed (by default).'),
  config: z
    .string()
    .default('')
    .describe(
      'Central config to run: fetched from <collector>/v1/config/<config> (an agent id or a group name) and merged after the local file; empty: local config only.',
    ),
  config_interval: duration
    .prefault('30s')
    .describe('How often the central config is polled (ETag: 304 while unchanged).'),
  timeout: duration.prefault('10s').describe('Deadline of one heartbeat or config request.'),
});

export const fleetAgentSection = fleetAgentObject
  .prefault({})
  .refine((f) => f.config === '' || f.collector !== '', {
    message: 'config needs collector (the collector that serves it)',
    path: ['config'],
  });

export type FleetAgentSettings = z.output<typeof fleetAgentSection>;
