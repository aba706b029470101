/**
 * The real Kafka broker of scripts/services.sh as a benchmark source: a fresh topic filled before
 * the agent starts (test/bench/kafka-fill.ts, a separate process), its end offsets, and its
 * deletion afterwards so repeated runs do not fill the disk.
 */
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { Admin, ListOffsetTimestamps } from '@platformatic/kafka';
import { serviceAddresses } from '../setup/services.ts';
import { total } from './prom.ts';
import type { Prepared, RunShape } from './scenarios.ts';

/** The broker list of scripts/services.sh (scripts/services.env, overridable from the environment). */
export const kafkaBrokers = (): string[] => serviceAddresses().kafkaBrokers;

function admin(): Admin {
  return new Admin({ clientId: 'viva-bench-admin', bootstrapBrokers: kafkaBrokers() });
}

/** Creates a topic with `partitions` partitions. */
export async function createTopic(topic: string, partitions: number): Promise<void> {
  const a = admin();
  try {
    await a.createTopics({ topics: [topic], partitions, replicas: 1 });
  } finally {
    await a.close();
  }
}

/** Deletes topics and consumer groups (either may be missing). */
export async function deleteTopicAndGroup(topic: string, group?: string): Promise<void> {
  const a = admin();
  try {
    if (group !== undefined) await a.deleteGroups({ groups: [group] }).catch(() => undefined);
    await a.deleteTopics({ topics: [topic] });
  } finally {
    await a.close();
  }
}

/** Messages in a topic: the sum of its partitions' end offsets (a fresh topic starts at 0). */
export async function topicMessages(topic: string, partitions: number): Promise<number> {
  const a = admin();
  try {
    const listed = await a.listOffsets({
      topics: [
        {
          name: topic,
          partitions: Array.from({ length: partitions }, (_, i) => ({
            partitionIndex: i,
            timestamp: ListOffsetTimestamps.LATEST,
          })),
        },
      ],
    });
    let n = 0;
    for (const t of listed) for (const p of t.partitions) n += Number(p.offset);
    return n;
  } finally {
    await a.close();
  }
}

export interface FillOptions {
  topic: string;
  partitions: number;
  messages: number;
  /** Line protocol lines per message. */
  lines: number;
  compression: 'none' | 'lz4' | 'snappy' | 'gzip';
  /** The producer: kcat (librdkafka) or @platformatic/kafka. */
  with: 'kcat' | 'platformatic';
}

/** What the fill process reports. */
export interface FillResult {
  messages: number;
  metrics: number;
  bytes: number;
  seconds: number;
  metrics_per_s: number;
}

/** Runs test/bench/kafka-fill.ts and resolves with its report. */
export function fillTopic(o: FillOptions): Promise<FillResult> {
  const args = [
    path.join(import.meta.dirname, 'kafka-fill.ts'),
    '--brokers',
    kafkaBrokers().join(','),
    '--topic',
    o.topic,
    '--partitions',
    String(o.partitions),
    '--messages',
    String(o.messages),
    '--lines',
    String(o.lines),
    '--compression',
    o.compression,
    '--with',
    o.with,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let last: FillResult | undefined;
    readline.createInterface({ input: child.stdout }).on('line', (l) => (last = JSON.parse(l) as FillResult));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0 && last !== undefined) resolve(last);
      else reject(new Error(`kafka-fill exited with ${String(code)}`));
    });
  });
}

/** How a consumer scenario's topic is filled. */
export interface PrefillOptions {
  partitions: number;
  /** Line protocol lines per message. */
  lines: number;
  compression: FillOptions['compression'];
  /**
   * Metrics/s assumed above anything the consumer reaches: the topic holds this rate for the
   * warmup, the window and JOIN_SLACK_S, so the consumer never runs dry (checked after the window).
   */
  maxRate: number;
}

/** Time between the agent's /ready and its first fetch (group join), on top of the warmup. */
const JOIN_SLACK_S = 10;

/** kcat fills about 25 % faster than @platformatic/kafka (2.6 M vs 2.1 M metrics/s here). */
function fastestProducer(): FillOptions['with'] {
  return spawnSync('kcat', ['-V'], { stdio: 'ignore' }).status === 0 ? 'kcat' : 'platformatic';
}

/**
 * A scenario's prepare(): a fresh topic (and consumer group name) filled with corpus messages before
 * the agent starts. After the window, checks the consumer started before it and had not read the
 * whole topic by its end (else events_per_s would measure the producer, not the consumer).
 * Afterwards the topic and the group are deleted.
 */
export async function prefilledTopic(run: RunShape, o: PrefillOptions): Promise<Prepared> {
  const id = `viva-bench-consume-${Date.now()}`;
  const topic = id;
  const group = `${id}-group`;
  const messages = Math.ceil((o.maxRate * (run.warmupS + run.durationS + JOIN_SLACK_S)) / o.lines);
  const producer = fastestProducer();
  await createTopic(topic, o.partitions);
  let filled: FillResult;
  try {
    filled = await fillTopic({
      topic,
      partitions: o.partitions,
      messages,
      lines: o.lines,
      compression: o.compression,
      with: producer,
    });
    const inTopic = await topicMessages(topic, o.partitions);
    if (inTopic !== messages) throw new Error(`topic ${topic} holds ${inTopic} messages, not ${messages}`);
  } catch (e) {
    await deleteTopicAndGroup(topic).catch(() => undefined);
    throw e;
  }
  const metrics = messages * o.lines;
  const consumed = (s: Parameters<typeof total>[0]): number =>
    total(s, 'viva_input_gathered_total', 'plugin="kafka_consumer"');
  return {
    vars: { topic, group },
    fields: {
      kafka_topic: topic,
      kafka_partitions: o.partitions,
      kafka_lines_per_message: o.lines,
      kafka_compression: o.compression,
      kafka_prefilled_metrics: metrics,
      kafka_prefilled_raw_mb: Math.round(filled.bytes / 1e6),
      kafka_prefill_with: producer,
      kafka_prefill_s: filled.seconds,
      kafka_prefill_metrics_per_s: filled.metrics_per_s,
    },
    check: ({ before, after }) => {
      const start = consumed(before);
      const end = consumed(after);
      const ranDry = end >= metrics;
      let invalid: string | undefined;
      if (ranDry)
        invalid =
          `the consumer read all ${metrics} pre-filled metrics before the window ended: events_per_s is ` +
          'only a lower bound; raise maxRate of the scenario (test/bench/scenarios.ts)';
      else if (start === 0)
        invalid = 'the consumer had not read anything by the end of the warmup (group join); raise --warmup';
      return Promise.resolve({
        fields: {
          kafka_consumed_before_window: start,
          kafka_consumed_at_window_end: end,
          kafka_left_at_window_end: metrics - end,
          kafka_ran_dry: ranDry,
        },
        invalid,
      });
    },
    cleanup: () => deleteTopicAndGroup(topic, group),
  };
}
