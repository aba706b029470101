/**
 * Kafka messages from a batch of metrics: one per metric, or one per (topic, key) with
 * batch_per_message. Each message remembers which metrics of the batch it carries, so a send that
 * fails half-way can tell the core which metrics were written and which to retry.
 */
import type { MessageToProduce } from '@platformatic/kafka';
import type { Serializer } from '../../../core/format/types.ts';
import { seriesKey } from '../../../core/model/metric/metric.ts';
import type { Metric } from '../../../core/model/metric/metric.ts';
import type { KafkaOutputConfig } from './config.ts';

/** Per-record overhead counted on top of key and value when sizing a produce request. */
const RECORD_OVERHEAD = 32;

/** A message and the indices (in the written batch) of the metrics it carries. */
export interface Outgoing {
  message: MessageToProduce<Buffer, Buffer, Buffer, Buffer>;
  /** One metric's index, or the indices of a batched message's metrics. */
  metrics: number | number[];
  /** Estimated bytes on the wire. */
  bytes: number;
}

/** The indices of the metrics carried by some messages. */
export function metricIndices(messages: readonly Outgoing[]): number[] {
  const out: number[] = [];
  for (const o of messages) {
    if (typeof o.metrics === 'number') out.push(o.metrics);
    else out.push(...o.metrics);
  }
  return out;
}

export class MessageBuilder {
  private readonly cfg: KafkaOutputConfig;
  private readonly serializer: Serializer;
  /** Metrics the format could not carry in the last build. */
  skipped = 0;

  constructor(cfg: KafkaOutputConfig, serializer: Serializer) {
    this.cfg = cfg;
    this.serializer = serializer;
  }

  /** The messages of a batch, per metric or per key as configured. */
  build(metrics: Metric[]): Outgoing[] {
    this.skipped = 0;
    return this.cfg.batch_per_message ? this.perKey(metrics) : this.perMetric(metrics);
  }

  /** The message key of a metric, or undefined for round robin. */
  private keyOf(m: Metric): string | undefined {
    const tag = this.cfg.routing_tag;
    if (tag !== undefined) {
      const v = m.tags[tag];
      if (v !== undefined) return v;
    }
    return this.cfg.routing_key === 'series' ? seriesKey(m) : undefined;
  }

  private topicOf(m: Metric): string {
    const tag = this.cfg.topic_tag;
    if (tag === undefined) return this.cfg.topic;
    const v = m.tags[tag];
    return v === undefined || v === '' ? this.cfg.topic : v;
  }

  private perMetric(metrics: Metric[]): Outgoing[] {
    const out: Outgoing[] = [];
    const one: Metric[] = [metrics[0]];
    for (let i = 0; i < metrics.length; i++) {
      const m = metrics[i];
      one[0] = m;
      const value = this.serializer.serialize(one);
      if (value.length === 0) {
        this.skipped++;
        continue;
      }
      const k = this.keyOf(m);
      const key = k === undefined ? undefined : Buffer.from(k);
      const bytes = value.length + (key?.length ?? 0) + RECORD_OVERHEAD;
      out.push({ message: { topic: this.topicOf(m), key, value }, metrics: i, bytes });
    }
    return out;
  }

  private perKey(metrics: Metric[]): Outgoing[] {
    const groups = new Map<string, { topic: string; key: string | undefined; indices: number[] }>();
    for (let i = 0; i < metrics.length; i++) {
      const m = metrics[i];
      const topic = this.topicOf(m);
      const key = this.keyOf(m);
      const id = topic + '\u0000' + (key ?? '');
      let g = groups.get(id);
      if (g === undefined) groups.set(id, (g = { topic, key, indices: [] }));
      g.indices.push(i);
    }
    const out: Outgoing[] = [];
    for (const g of groups.values()) {
      const key = g.key === undefined ? undefined : Buffer.from(g.key);
      for (const part of this.encodeSplit(metrics, g.indices)) {
        const bytes = part.value.length + (key?.length ?? 0) + RECORD_OVERHEAD;
        out.push({ message: { topic: g.topic, key, value: part.value }, metrics: part.indices, bytes });
      }
    }
    return out;
  }

  /** Encodes a group into one value, halving it until each part fits max_message_bytes. */
  private encodeSplit(metrics: Metric[], indices: number[]): { value: Buffer; indices: number[] }[] {
    const group = indices.map((i) => metrics[i]);
    const value = this.serializer.serialize(group);
    if (value.length === 0) {
      this.skipped += indices.length;
      return [];
    }
    if (value.length <= this.cfg.max_message_bytes || indices.length === 1) return [{ value, indices }];
    const half = indices.length >> 1;
    return [
      ...this.encodeSplit(metrics, indices.slice(0, half)),
      ...this.encodeSplit(metrics, indices.slice(half)),
    ];
  }
}
