/**
 * `[collector.fleet]`: the fleet registry (heartbeats, source health, its state file) and central
 * configuration (the directory of agent configs served on GET /v1/config/<name>).
 */
import { z } from 'zod';
import { duration } from '../../core/config/duration.ts';
import { kafkaConnectionKeys } from '../../core/lib/kafka/connection.ts';

/** `[collector.fleet.kafka]`: heartbeats shared between collectors through a compacted topic. */
export const fleetKafkaObject = z.strictObject({
  ...kafkaConnectionKeys,
  client_id: z
    .string()
    .min(1)
    .default('viva-fleet')
    .describe('Client id the brokers see in logs and quotas.'),
  topic: z
    .string()
    .min(1)
    .default('viva-fleet')
    .describe(
      'Compacted topic of agent records (key: agent id); created with cleanup.policy=compact when missing.',
    ),
  partitions: z
    .number()
    .int()
    .positive()
    .default(1)
    .describe('Partitions of the topic when the collector creates it.'),
  replication_factor: z
    .number()
    .int()
    .positive()
    .default(1)
    .describe('Replicas of the topic when the collector creates it (3 on a production cluster).'),
  flush_interval: duration
    .prefault('250ms')
    .describe('Heartbeats taken are produced at most this long after.'),
});

export type FleetKafkaSettings = z.output<typeof fleetKafkaObject>;

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
  kafka: fleetKafkaObject
    .optional()
    .describe(
      'Share heartbeats with the other collectors through a compacted Kafka topic (table below); absent: this collector only.',
    ),
});

export const fleetSection = fleetObject.prefault({});

export type FleetSettings = z.output<typeof fleetSection>;
