/**
 * Schemas of the keys the core owns: the [agent] section and the keys every plugin table may
 * carry besides its own (alias, scheduling, filters, batching, buffering). Plugin schemas never
 * repeat these.
 */
import os from 'node:os';
import { z } from 'zod';
import { filterKeys } from '../engine/filter/filter.ts';
import { duration, size } from './duration.ts';
import { fleetAgentSection } from './fleet.ts';
import { secret } from './secret.ts';

/** The [agent] section. */
export const agentObject = z.strictObject({
  interval: duration.prefault('10s').describe('Default gather interval of inputs.'),
  round_interval: z.boolean().default(true).describe('Align gathers to the interval (10s -> :00, :10, ...).'),
  collection_jitter: duration.prefault('0s').describe('Random delay up to this before each gather.'),
  flush_interval: duration.prefault('10s').describe('Default output flush interval.'),
  flush_jitter: duration.prefault('0s').describe('Random delay up to this added to each flush.'),
  metric_batch_size: z.number().int().positive().default(1000).describe('Default metrics per write.'),
  metric_buffer_limit: z
    .number()
    .int()
    .positive()
    .default(10_000)
    .describe('Default output buffer bound (metrics).'),
  hostname: z.string().default('').describe('Value of the host tag; empty means os.hostname().'),
  omit_hostname: z.boolean().default(false).describe('Do not add the host tag.'),
  data_dir: z.string().default('var/lib/viva').describe('Where disk buffers and plugin state live.'),
  shutdown_timeout: duration
    .prefault('10s')
    .describe(
      'Deadline for the whole shutdown (inputs stop, processors drain, outputs flush and close); a plugin still stopping then is abandoned.',
    ),
  http_listen: z
    .string()
    .default('127.0.0.1:9273')
    .describe('Address of /metrics, /health, /ready ("" disables).'),
  http_auth_token: secret
    .optional()
    .describe('Bearer token required on /admin endpoints (and /metrics when set).'),
  health_degraded_after: duration
    .prefault('60s')
    .describe('An output failing this long is "degraded" on /health and makes /ready answer 503.'),
  http_tls_cert: z.string().optional().describe('PEM certificate file: serve the admin HTTP over TLS.'),
  http_tls_key: z.string().optional().describe('PEM key file for http_tls_cert.'),
  log_level: z
    .enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])
    .default('info')
    .describe('Log level (pino); logs are JSON on stderr.'),
  watch_config: z.boolean().default(true).describe('Reload when the config file or directory changes.'),
  fleet: fleetAgentSection.describe(
    'Heartbeats to a collector and central configuration ([agent.fleet] below).',
  ),
});

/** The [agent] section with every default applied when absent. */
export const agentSchema = agentObject.prefault({});

export type AgentSettings = z.output<typeof agentSchema>;

/** The host name the agent tags metrics with. */
export function agentHostname(a: AgentSettings): string {
  return a.hostname !== '' ? a.hostname : os.hostname();
}

const alias = z.string().min(1).optional().describe('Name telling instances of the same plugin apart.');
const pkg = z
  .string()
  .min(1)
  .optional()
  .describe('npm package or module path providing this plugin (external plugins).');

/** Keys every [[inputs.*]] table may carry. */
export const inputCommonKeys = {
  alias,
  package: pkg,
  interval: duration.optional().describe('Gather interval (default: agent interval).'),
  collection_jitter: duration.optional().describe('Random delay before each gather.'),
  timeout: duration.optional().describe('Deadline of one gather (default: the interval).'),
  name_override: z.string().optional().describe('Replace the metric name.'),
  name_prefix: z.string().optional().describe('Prefix the metric name.'),
  name_suffix: z.string().optional().describe('Suffix the metric name.'),
  tags: z.record(z.string(), z.string()).optional().describe('Tags added to every metric of this input.'),
  ...filterKeys,
};

/** Keys every [[processors.*]] table may carry. */
export const processorCommonKeys = {
  alias,
  package: pkg,
  order: z.number().int().optional().describe('Position in the chain (default: config order).'),
  clock: z
    .enum(['wall', 'event'])
    .default('wall')
    .describe(
      'Time of a processor that acts with no input (aggregate, anomaly, alert, pattern): wall = the later of the real clock and the newest metric time seen, moving on with no input; event = the newest metric time seen only, standing still without input (backfill, replay of recorded data).',
    ),
  ...filterKeys,
};

/** Keys every [[outputs.*]] table may carry. */
export const outputCommonKeys = {
  alias,
  package: pkg,
  flush_interval: duration.optional().describe('Flush interval (default: agent flush_interval).'),
  flush_jitter: duration.optional().describe('Random delay added to each flush.'),
  metric_batch_size: z.number().int().positive().optional().describe('Metrics per write.'),
  metric_buffer_limit: z.number().int().positive().optional().describe('Buffer bound in metrics.'),
  buffer_strategy: z.enum(['memory', 'disk']).default('memory').describe('Where unsent metrics wait.'),
  buffer_max_bytes: size.prefault('64MiB').describe('Buffer bound in bytes.'),
  when_full: z.enum(['drop_oldest', 'block']).default('drop_oldest').describe('What a full buffer does.'),
  buffer_fsync: z
    .enum(['always', 'interval', 'never'])
    .default('interval')
    .describe('Disk buffer fsync policy.'),
  buffer_directory: z
    .string()
    .optional()
    .describe('Disk buffer directory (default: <data_dir>/buffer/<output>).'),
  retry_initial_backoff: duration.prefault('500ms').describe('First retry delay.'),
  retry_max_backoff: duration.prefault('30s').describe('Longest retry delay.'),
  write_timeout: duration.prefault('30s').describe('Deadline of one write.'),
  ...filterKeys,
};

export const inputCommonSchema = z.strictObject(inputCommonKeys);
export const processorCommonSchema = z.strictObject(processorCommonKeys);
export const outputCommonSchema = z.strictObject(outputCommonKeys);

export type InputCommon = z.output<typeof inputCommonSchema>;
export type ProcessorCommon = z.output<typeof processorCommonSchema>;
export type OutputCommon = z.output<typeof outputCommonSchema>;
