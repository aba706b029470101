/**
 * The kafka_consumer input and the kafka output against the real broker, with kcat as the
 * producer and consumer outside VIVA.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LineProtocolParser } from '../../core/format/lineprotocol/parser.ts';
import { serializeMetricTo } from '../../core/format/lineprotocol/serializer.ts';
import { Metric, seriesKey } from '../../core/model/metric/metric.ts';
import { parseConfig, TestAccumulator, testContext } from '../../core/plugin/testing.ts';
import type { InputInstance, OutputInstance } from '../../core/plugin/types.ts';
import { kafkaConsumerInput } from '../../plugins/inputs/kafka_consumer/index.ts';
import { kafkaOutput } from '../../plugins/outputs/kafka/index.ts';
import { partitionOfKey } from '../../core/lib/kafka/partition.ts';
import { brokers, createTopic, kcatConsume, kcatProduce, uniqueTopic } from './support/kafka.ts';

const open: (InputInstance | OutputInstance)[] = [];
afterEach(async () => {
  for (const p of open.splice(0)) {
    if ('stop' in p) await p.stop?.();
    if ('close' in p) await p.close?.();
  }
});

const lines = (n: number, from = 0): string[] =>
  Array.from(
    { length: n },
    (_, i) =>
      `kcat,host=h${(from + i) % 4},region=eu seq=${from + i}i,value=${(from + i) * 0.5} ${1_700_000_000_000_000_000n + BigInt(from + i)}`,
  );

/** Starts a consumer into a fresh accumulator. */
async function consume(
  table: Record<string, unknown>,
): Promise<{ input: InputInstance; acc: TestAccumulator }> {
  const input = await kafkaConsumerInput.create(
    parseConfig(kafkaConsumerInput, { brokers: brokers(), ...table }),
    testContext(kafkaConsumerInput),
  );
  open.push(input);
  const acc = new TestAccumulator();
  await input.start?.(acc);
  return { input, acc };
}

async function stop(input: InputInstance): Promise<void> {
  open.splice(open.indexOf(input), 1);
  await input.stop?.();
}

const sortedText = (metrics: Metric[]): string[] => metrics.map((m) => serializeMetricTo(m).trimEnd()).sort();
const seqs = (metrics: Metric[]): number[] => metrics.map((m) => Number(m.fields.seq)).sort((a, b) => a - b);
const range = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => from + i);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('kafka_consumer input', () => {
  it('should receive exactly the line protocol kcat produced, from every partition', async () => {
    const topic = uniqueTopic('viva-consume');
    await createTopic(topic, 3);
    const sent = lines(300);
    await kcatProduce(
      topic,
      sent.map((l, i) => `k${i % 7}|${l}`),
      { keyed: true },
    );
    const { acc } = await consume({ topics: [topic], consumer_group: `${topic}-g` });
    await acc.waitFor(300, 30_000);
    await sleep(300);
    expect(sortedText(acc.metrics)).toEqual([...sent].sort());
    expect(acc.rejects).toEqual([]);
    acc.ackAll();
  });

  it('should read again after a restart what the pipeline never acknowledged', async () => {
    const topic = uniqueTopic('viva-redeliver');
    await createTopic(topic, 2);
    const group = `${topic}-g`;
    await kcatProduce(topic, lines(20));

    const first = await consume({ topics: [topic], consumer_group: group });
    await first.acc.waitFor(20, 30_000);
    await stop(first.input); // nothing acknowledged

    const second = await consume({ topics: [topic], consumer_group: group });
    await second.acc.waitFor(20, 30_000);
    expect(seqs(second.acc.metrics)).toEqual(range(20));
    // Acknowledged just before the stop: the stop waits for their commits.
    second.acc.ackAll();
    await stop(second.input);

    await kcatProduce(topic, lines(5, 20));
    const third = await consume({ topics: [topic], consumer_group: group });
    await third.acc.waitFor(5, 30_000);
    await sleep(1500);
    expect(seqs(third.acc.metrics)).toEqual(range(5, 20));
    third.acc.ackAll();
  });

  it('should read a batch the pipeline could not take again with on_undelivered = "reread"', async () => {
    const topic = uniqueTopic('viva-reread');
    await kcatProduce(topic, lines(30));
    const { acc } = await consume({
      topics: [topic],
      consumer_group: `${topic}-g`,
      on_undelivered: 'reread',
    });
    await acc.waitFor(30, 30_000);
    acc.ackAll(false); // e.g. the collector's spool could not write it
    await acc.waitFor(60, 30_000);
    expect(seqs(acc.metrics)).toEqual([...range(30), ...range(30)].sort((a, b) => a - b));
    acc.ackAll();
  });

  it('should commit a partition only up to its oldest unacknowledged batch', async () => {
    const topic = uniqueTopic('viva-order');
    const group = `${topic}-g`;
    await kcatProduce(topic, lines(3));
    const first = await consume({ topics: [topic], consumer_group: group });
    await first.acc.waitFor(3, 30_000);
    await kcatProduce(topic, lines(3, 3));
    await first.acc.waitFor(6, 30_000);
    expect(first.acc.acks.length).toBeGreaterThanOrEqual(2);
    // Acknowledge the later batches only: the earlier one still holds the partition's offset back.
    for (const ack of first.acc.acks.splice(1)) ack(true);
    await sleep(500);
    await stop(first.input);

    const second = await consume({ topics: [topic], consumer_group: group });
    await second.acc.waitFor(6, 30_000);
    await sleep(500);
    expect(seqs(second.acc.metrics)).toEqual(range(6));
    second.acc.ackAll();
  });

  it('should stop fetching at max_undelivered_messages until deliveries are acknowledged', async () => {
    const topic = uniqueTopic('viva-undelivered');
    await kcatProduce(topic, lines(100));
    const { acc } = await consume({
      topics: [topic],
      consumer_group: `${topic}-g`,
      max_undelivered_messages: 10,
    });
    await acc.waitFor(10, 30_000);
    await sleep(1000);
    expect(acc.metrics.length).toBeLessThan(100);
    while (acc.metrics.length < 100) {
      acc.ackAll();
      await acc.waitFor(Math.min(100, acc.metrics.length + 1), 10_000);
    }
    expect(seqs(acc.metrics)).toEqual(range(100));
    acc.ackAll();
  });

  it('should stop fetching while the pipeline is saturated', async () => {
    const topic = uniqueTopic('viva-saturated');
    await kcatProduce(topic, lines(50));
    const input = await kafkaConsumerInput.create(
      parseConfig(kafkaConsumerInput, { brokers: brokers(), topics: [topic], consumer_group: `${topic}-g` }),
      testContext(kafkaConsumerInput),
    );
    open.push(input);
    const acc = new TestAccumulator();
    acc.saturated = true;
    await input.start?.(acc);
    await acc.waitFor(1, 30_000);
    const seen = acc.metrics.length;
    await kcatProduce(topic, lines(50, 50));
    await sleep(1500);
    expect(acc.metrics.length).toBe(seen);
    acc.release();
    await acc.waitFor(100, 30_000);
    expect(seqs(acc.metrics)).toEqual(range(100));
    acc.ackAll();
  });

  it('should consume every topic matching topic_pattern and tag the topic', async () => {
    const prefix = uniqueTopic('viva-pattern');
    await kcatProduce(`${prefix}-a`, lines(3));
    await kcatProduce(`${prefix}-b`, lines(3, 3));
    const { acc } = await consume({
      topics: [],
      topic_pattern: `^${prefix}-`,
      consumer_group: `${prefix}-g`,
      topic_tag: 'topic',
    });
    await acc.waitFor(6, 30_000);
    expect(seqs(acc.metrics)).toEqual(range(6));
    expect(new Set(acc.metrics.map((m) => m.tags.topic))).toEqual(new Set([`${prefix}-a`, `${prefix}-b`]));
    acc.ackAll();
  });

  it('should reject unparsable messages and keep the good ones', async () => {
    const topic = uniqueTopic('viva-bad');
    await kcatProduce(topic, ['good value=1 1', 'this is not line protocol', 'good value=2 2']);
    const { acc } = await consume({ topics: [topic], consumer_group: `${topic}-g` });
    await acc.waitFor(2, 30_000);
    await sleep(300);
    expect(acc.metrics.map((m) => m.fields.value)).toEqual([1, 2]);
    expect(acc.rejects.length).toBe(1);
    acc.ackAll();
  });
});

describe('kafka output', () => {
  async function output(table: Record<string, unknown>): Promise<OutputInstance> {
    const out = await kafkaOutput.create(
      parseConfig(kafkaOutput, { brokers: brokers(), ...table }),
      testContext(kafkaOutput),
    );
    open.push(out);
    await out.connect?.();
    return out;
  }

  const batch = (n: number): Metric[] =>
    Array.from({ length: n }, (_, i) => {
      const m = new Metric(
        'out',
        { host: `h${i % 5}`, dc: 'x y' },
        { value: i / 3, text: `line "${i}"` },
        1_700_000_000_123 + i,
        456_789,
      );
      m.setInt('seq', i);
      return m;
    });

  it('should produce one message per metric, keyed by series, that kcat reads back and parses', async () => {
    const topic = uniqueTopic('viva-out');
    await createTopic(topic, 3);
    const sent = batch(200);
    const out = await output({ topic });
    await out.write(sent);
    const msgs = await kcatConsume(topic);
    expect(msgs).toHaveLength(200);
    const parser = new LineProtocolParser();
    const parsed = msgs.flatMap((m) => {
      const r = parser.parse(m.value);
      expect(r.errors).toEqual([]);
      expect(m.key).toBe(seriesKey(r.metrics[0]));
      return r.metrics;
    });
    expect(sortedText(parsed)).toEqual(sortedText(sent));
    // A series stays on one partition.
    const partitionOf = new Map<string, Set<number>>();
    for (const m of msgs)
      (partitionOf.get(m.key) ?? partitionOf.set(m.key, new Set()).get(m.key))?.add(m.partition);
    expect([...partitionOf.values()].every((p) => p.size === 1)).toBe(true);
    expect(new Set(msgs.map((m) => m.partition)).size).toBeGreaterThan(1);
    // ...the one the documented hash names (Java's murmur2 partitioner).
    for (const m of msgs) expect(m.partition, m.key).toBe(partitionOfKey(m.key, 3));
  });

  it.each(['gzip', 'snappy', 'lz4', 'zstd'])(
    'should batch metrics per key with %s compression',
    async (compression) => {
      const topic = uniqueTopic(`viva-out-${compression}`);
      const sent = batch(100);
      const out = await output({ topic, compression, batch_per_message: true, routing_tag: 'host' });
      await out.write(sent);
      const msgs = await kcatConsume(topic);
      expect(msgs.map((m) => m.key).sort()).toEqual(['h0', 'h1', 'h2', 'h3', 'h4']);
      const parsed = msgs.flatMap((m) => new LineProtocolParser().parse(m.value).metrics);
      expect(sortedText(parsed)).toEqual(sortedText(sent));
    },
  );

  it('should split a batch larger than the broker accepts in one request into several', async () => {
    const topic = uniqueTopic('viva-out-large');
    const out = await output({ topic });
    const sent = batch(6000).map((m) => {
      m.fields.text = 'x'.repeat(200);
      return m;
    });
    await out.write(sent);
    expect(await kcatConsume(topic)).toHaveLength(6000);
  });

  it('should fail with a retryable error while no broker answers', async () => {
    const out = await output({
      topic: 'never',
      brokers: ['127.0.0.1:1'],
      connect_timeout: '500ms',
      request_timeout: '1s',
    });
    await expect(out.write(batch(1))).rejects.toMatchObject({ name: 'WriteError', kind: 'retryable' });
  });
});
