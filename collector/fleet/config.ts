/**
 * `[collector.fleet]`: the fleet registry (heartbeats, source health, its state file) and central
 * configuration (the directory of agent configs served on GET /v1/config/<name>).
 */
import { z } from 'zod';
import { duration } from '../../core/config/duration.ts';

export const fleetObject = z.strictObject({
  deadman: duration
    .prefault('0s')
    .describe(
      'An agent with no heartbeat for this long is "silent"; 0s means 3 times the heartbeat interval the agent reports.',
    ),
  degraded_buffer_fill: z
    .number()
    .min(0)
    .max(1)
    .default(0.8)
    .describe('An agent whose fullest output buffer is at least this full (0..1) is "degraded".'),
  forget_after: duration
    .prefault('7d')
    .describe('An agent silent this long is removed from the registry (0s: never).'),
  max_agents: z
    .number()
    .int()
    .positive()
    .default(10_000)
    .describe('Agents the registry holds; a heartbeat from a new agent beyond it is refused (429).'),
  state_file: z
    .string()
    .default('')
    .describe('Where the registry survives a restart; empty means <data_dir>/fleet/agents.json.'),
  config_dir: z
    .string()
    .default('')
    .describe(
      'Directory of central agent configs: GET /v1/config/<name> serves <config_dir>/<name>.toml (empty: central configuration off, 404).',
    ),
});

export const fleetSection = fleetObject.prefault({});

export type FleetSettings = z.output<typeof fleetSection>;
