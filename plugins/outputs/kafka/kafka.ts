/**
 * The kafka output: produces each batch with one send (acks=all by default). A message carries one
 * metric, or with batch_per_message all metrics of one key. The key is the series key by default,
 * so a series always lands on the same partition and keeps its order; partitions follow the Java
 * client's murmur2 partitioner, so VIVA and Java producers agree on where a key goes.
 * Failures are thrown as WriteError for the core to retry; the client itself repeats a request only
 * within one write, where the idempotent producer lets the broker drop the copies.
 */
import { Producer, ProduceAcks, compatibilityPartitioner } from '@platformatic/kafka';
import { WriteError } from '../../../core/model/errors/errors.ts';
import type { Serializer } from '../../../core/format/types.ts';
import type { Metric } from '../../../core/model/metric/metric.ts';
import type { OutputInstance, PluginContext } from '../../../core/plugin/types.ts';
import type { KafkaOutputConfig } from './config.ts';
import { kafkaClientOptions } from '../../../core/lib/kafka/connection.ts';
import { MessageBuilder, metricIndices } from './messages.ts';
import type { Outgoing } from './messages.ts';

const ACKS = { all: ProduceAcks.ALL, leader: ProduceAcks.LEADER, none: ProduceAcks.NO_RESPONSE } as const;

const TOPIC_LOOKUPS = 10;
const TOPIC_LOOKUP_DELAY_MS = 200;

const errText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Kafka errors that no retry of the same data can fix. */
const PERMANENT_KAFKA_ERRORS = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'CORRUPT_MESSAGE',
]);

/** Kafka's error name (e.g. MESSAGE_TOO_LARGE) of the first protocol error in an error tree. */
function kafkaErrorName(e: unknown, depth = 0): string | undefined {
  if (typeof e !== 'object' || e === null || depth > 5) return undefined;
  const o = e as { apiId?: unknown; errors?: unknown; cause?: unknown };
  if (typeof o.apiId === 'string') return o.apiId;
  if (Array.isArray(o.errors)) {
    for (const inner of o.errors) {
      const name = kafkaErrorName(inner, depth + 1);
      if (name !== undefined) return name;
    }
  }
  return kafkaErrorName(o.cause, depth + 1);
}

/** Maps a failed send to the WriteError the core understands. */
export function sendError(e: unknown): WriteError {
  const name = kafkaErrorName(e);
  const msg = `kafka produce failed: ${errText(e)}${name !== undefined ? ` (${name})` : ''}`;
  return name !== undefined && PERMANENT_KAFKA_ERRORS.has(name)
    ? WriteError.permanent(msg, { cause: e })
    : WriteError.retryable(msg, { cause: e });
}

/**
 * Sends messages in produce requests of at most `maxBytes` (estimated): the broker refuses a record
 * batch above message.max.bytes, and one request carries one record batch per partition. A
 * request refused for good rejects its metrics and the rest goes on; a retryable failure hands
 * that request and all after it back to the core, as a partial write when some were written.
 */
export async function sendInRequests(
  producer: Pick<Producer, 'send'>,
  outgoing: Outgoing[],
  maxBytes: number,
  total: number,
): Promise<void> {
  const rejected: { index: number; reason: string }[] = [];
  let start = 0;
  while (start < outgoing.length) {
    let end = start + 1;
    let bytes = outgoing[start].bytes;
    while (end < outgoing.length && bytes + outgoing[end].bytes <= maxBytes) bytes += outgoing[end++].bytes;
    const chunk = outgoing.slice(start, end);
    try {
      await producer.send({ messages: chunk.map((o) => o.message) });
    } catch (e) {
      const err = sendError(e);
      if (err.kind === 'permanent') {
        for (const index of metricIndices(chunk)) rejected.push({ index, reason: err.message });
      } else {
        const retry = metricIndices(outgoing.slice(start));
        if (retry.length === total) throw err;
        throw WriteError.partial(err.message, { rejected, retry, retryAfterMs: err.retryAfterMs });
      }
    }
    start = end;
  }
  if (rejected.length === 0) return;
  const message = rejected[0].reason;
  if (rejected.length === total) throw WriteError.permanent(message);
  throw WriteError.partial(message, { rejected });
}

export class KafkaOutput implements OutputInstance {
  private readonly cfg: KafkaOutputConfig;
  private readonly serializer: Serializer;
  private readonly ctx: PluginContext;
  private readonly builder: MessageBuilder;
  private producer: Producer | undefined;
  private readonly skipped: (value?: number, attrs?: Record<string, string>) => void;

  constructor(cfg: KafkaOutputConfig, serializer: Serializer, ctx: PluginContext) {
    this.cfg = cfg;
    this.serializer = serializer;
    this.ctx = ctx;
    this.builder = new MessageBuilder(cfg, serializer);
    this.skipped = ctx.metrics.counter('kafka_skipped_metrics', 'Metrics the message format could not carry');
  }

  async connect(): Promise<void> {
    const idempotent = this.cfg.idempotent && this.cfg.acks === 'all';
    this.producer = new Producer({
      ...kafkaClientOptions(this.cfg),
      // The core retries whole batches with backoff. An idempotent producer may repeat a request
      // itself (the broker drops the copies by sequence number); the client makes that unbounded
      // for retries <= 1, so it gets two, 250 ms apart.
      retries: idempotent ? 2 : 0,
      retryDelay: 250,
      acks: ACKS[this.cfg.acks],
      // Without it, a produce request the client repeats after a stale-metadata answer writes the
      // partitions that had succeeded a second time.
      idempotent,
      compression: this.cfg.compression,
      partitioner: compatibilityPartitioner,
      // Whether a missing topic is created is the broker's call (auto.create.topics.enable).
      autocreateTopics: true,
    });
    await this.awaitTopic(this.producer);
  }

  /**
   * Looks the topic up, which lets the broker auto-create it; a new topic has no leader for a moment,
   * so this waits a little for it. Not fatal: the brokers may come up later and writes are retried.
   */
  private async awaitTopic(producer: Producer): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await producer.metadata({ topics: [this.cfg.topic], autocreateTopics: true, forceUpdate: true });
        return;
      } catch (e) {
        if (attempt < TOPIC_LOOKUPS && /unknown topic/i.test(errText(e))) {
          await new Promise((resolve) => setTimeout(resolve, TOPIC_LOOKUP_DELAY_MS));
          continue;
        }
        this.ctx.log.warn(
          { err: errText(e), brokers: this.cfg.brokers, topic: this.cfg.topic },
          'kafka topic metadata not available yet',
        );
        return;
      }
    }
  }

  async write(metrics: Metric[]): Promise<void> {
    const producer = this.producer;
    if (producer === undefined) throw WriteError.retryable('kafka output is not connected');
    if (metrics.length === 0) return;
    const outgoing = this.builder.build(metrics);
    if (this.builder.skipped > 0) this.skipped(this.builder.skipped);
    if (outgoing.length === 0) return;
    await sendInRequests(producer, outgoing, this.cfg.max_message_bytes, metrics.length);
  }

  async close(): Promise<void> {
    const producer = this.producer;
    this.producer = undefined;
    await producer?.close();
  }
}
