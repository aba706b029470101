/**
 * The mqtt_consumer input and the mqtt output against the real Mosquitto, with mosquitto_pub and
 * mosquitto_sub as the clients outside VIVA.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LineProtocolParser } from '../../core/format/lineprotocol/parser.ts';
import { serializeMetricTo } from '../../core/format/lineprotocol/serializer.ts';
import { Metric } from '../../core/model/metric/metric.ts';
import { parseConfig, TestAccumulator, testContext } from '../../core/plugin/testing.ts';
import type { InputInstance, OutputInstance } from '../../core/plugin/types.ts';
import { mqttConsumerInput } from '../../plugins/inputs/mqtt_consumer/index.ts';
import { mqttOutput } from '../../plugins/outputs/mqtt/index.ts';
import { waitFor } from '../helpers/viva.ts';
import { broker, mosquittoPub, mosquittoSub, uniquePrefix } from './support/mqtt.ts';

const open: (InputInstance | OutputInstance)[] = [];
afterEach(async () => {
  for (const p of open.splice(0)) {
    if ('stop' in p) await p.stop?.();
    if ('close' in p) await p.close?.();
  }
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const lines = (n: number, from = 0): string[] =>
  Array.from(
    { length: n },
    (_, i) =>
      `mqtt,room=r${(from + i) % 3} seq=${from + i}i,temp=${20 + (from + i) / 10} ${1_700_000_000_000_000_000n + BigInt(from + i)}`,
  );
const seqs = (metrics: Metric[]): number[] => metrics.map((m) => Number(m.fields.seq)).sort((a, b) => a - b);
const range = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => from + i);

/** Starts a consumer and waits until the broker granted its subscriptions (its `subscribed` gauge). */
async function consume(
  table: Record<string, unknown>,
): Promise<{ input: InputInstance; acc: TestAccumulator; subscribed: () => Promise<number> }> {
  const cfg = parseConfig(mqttConsumerInput, { servers: [broker().url], ...table });
  const ctx = testContext(mqttConsumerInput);
  const input = await mqttConsumerInput.create(cfg, ctx);
  open.push(input);
  const acc = new TestAccumulator();
  await input.start?.(acc);
  const subscribed = async (): Promise<number> =>
    Number(
      (await ctx.selfMetrics()).find((m) => m.name === 'viva_input_mqtt_consumer_subscribed')?.fields.value ??
        0,
    );
  await waitFor(async () => (await subscribed()) === cfg.topics.length, 'the subscription');
  return { input, acc, subscribed };
}

async function stop(input: InputInstance): Promise<void> {
  open.splice(open.indexOf(input), 1);
  await input.stop?.();
}

describe('mqtt_consumer input', () => {
  it('should receive exactly the line protocol mosquitto_pub published, tagged with the topic', async () => {
    const prefix = uniquePrefix('lp');
    const { acc } = await consume({ topics: [`${prefix}/#`] });
    const sent = lines(50);
    await mosquittoPub(`${prefix}/kitchen`, sent);
    // Acknowledge as the pipeline would: the broker keeps at most its in-flight window unacknowledged.
    while (acc.metrics.length < 50) {
      acc.ackAll();
      await acc.waitFor(acc.metrics.length + 1, 10_000);
    }
    const withTopic = sent.map((l) => l.replace(' ', `,topic=${prefix}/kitchen `));
    expect(acc.metrics.map((m) => serializeMetricTo(m).trimEnd())).toEqual(withTopic);
    acc.ackAll();
  });

  it('should let the broker send up to max_undelivered_messages unacknowledged with MQTT 5', async () => {
    const prefix = uniquePrefix('window');
    const { acc } = await consume({
      topics: [`${prefix}/#`],
      protocol_version: '5',
      max_undelivered_messages: 100,
    });
    await mosquittoPub(`${prefix}/a`, lines(100));
    await acc.waitFor(100, 10_000);
    expect(seqs(acc.metrics)).toEqual(range(100));
    acc.ackAll();
  });

  it('should turn plain values into metrics named and tagged from the topic', async () => {
    const prefix = uniquePrefix('value');
    const { acc } = await consume({
      topics: [`${prefix}/+/+/+`],
      data_format: 'value',
      data_type: 'float',
      topic_tag: '',
      topic_parsing: [
        { topic: `${prefix}/+/+/+`, measurement: '_/_/_/measurement/_', tags: '_/_/site/_/device' },
      ],
    });
    await mosquittoPub(`${prefix}/north/temperature/d7`, ['21.5']);
    await mosquittoPub(`${prefix}/north/temperature/d8`, ['warm']);
    await acc.waitFor(1, 10_000);
    await sleep(300);
    expect(acc.metrics).toHaveLength(1);
    expect(acc.metrics[0]).toMatchObject({
      name: 'temperature',
      tags: { site: 'north', device: 'd7' },
      fields: { value: 21.5 },
    });
    expect(acc.rejects).toHaveLength(1);
    acc.ackAll();
  });

  it.each(['3.1.1', '5'])(
    'should get QoS 1 messages again after a restart when they were never acknowledged (MQTT %s)',
    async (version) => {
      const prefix = uniquePrefix(`redeliver-${version}`);
      const table = {
        topics: [`${prefix}/#`],
        qos: 1,
        persistent_session: true,
        client_id: `viva-it-${prefix.split('/')[1]}`,
        protocol_version: version,
      };
      const first = await consume(table);
      await mosquittoPub(`${prefix}/a`, lines(10), 1);
      await first.acc.waitFor(10, 10_000);
      await stop(first.input); // nothing acknowledged
      expect(await first.subscribed()).toBe(0);

      const second = await consume(table);
      await second.acc.waitFor(10, 10_000);
      expect(seqs(second.acc.metrics)).toEqual(range(10));
      second.acc.ackAll();
      await sleep(300);
      await stop(second.input);

      // Published while no consumer runs: the persistent session keeps it.
      await mosquittoPub(`${prefix}/a`, lines(2, 10), 1);
      const third = await consume(table);
      await third.acc.waitFor(2, 10_000);
      await sleep(500);
      expect(seqs(third.acc.metrics)).toEqual(range(2, 10));
      third.acc.ackAll();
      await sleep(200);
    },
  );

  it('should stop reading at max_undelivered_messages until deliveries are acknowledged', async () => {
    const prefix = uniquePrefix('undelivered');
    const { acc } = await consume({ topics: [`${prefix}/#`], max_undelivered_messages: 5 });
    await mosquittoPub(`${prefix}/a`, lines(40), 1);
    await acc.waitFor(5, 10_000);
    await sleep(500);
    expect(acc.metrics.length).toBeLessThan(40);
    while (acc.metrics.length < 40) {
      acc.ackAll();
      await acc.waitFor(acc.metrics.length + 1, 10_000);
    }
    expect(seqs(acc.metrics)).toEqual(range(40));
    acc.ackAll();
  });
});

describe('mqtt output', () => {
  async function output(table: Record<string, unknown>): Promise<OutputInstance> {
    const out = await mqttOutput.create(
      parseConfig(mqttOutput, { servers: [broker().url], ...table }),
      testContext(mqttOutput),
    );
    open.push(out);
    await out.connect?.();
    return out;
  }

  /** Writes once the client is connected (a write before that fails as retryable). */
  async function writeWhenConnected(out: OutputInstance, metrics: Metric[]): Promise<void> {
    for (let i = 0; ; i++) {
      try {
        await out.write(metrics);
        return;
      } catch (e) {
        if (i > 50) throw e;
        await sleep(100);
      }
    }
  }

  const batch = (n: number): Metric[] =>
    Array.from({ length: n }, (_, i) => {
      const m = new Metric(
        'room',
        { host: `h${i % 2}` },
        { temp: 20 + i / 4, note: `"${i}"` },
        1_700_000_000_000 + i,
        42,
      );
      m.setInt('seq', i);
      return m;
    });

  it('should publish one message per metric to the templated topic, read back with mosquitto_sub', async () => {
    const prefix = uniquePrefix('out');
    const sub = await mosquittoSub(`${prefix}/#`, 6);
    const out = await output({ topic: `${prefix}/{tag:host}/{name}`, qos: 1 });
    const sent = batch(6);
    await writeWhenConnected(out, sent);
    const got = await sub.messages();
    expect(got).toHaveLength(6);
    const parser = new LineProtocolParser();
    for (const msg of got) {
      const r = parser.parse(msg.payload);
      expect(r.errors).toEqual([]);
      expect(msg.topic).toBe(`${prefix}/${r.metrics[0].tags.host}/room`);
    }
    expect(got.map((m) => m.payload).sort()).toEqual(sent.map((m) => serializeMetricTo(m)).sort());
  });

  it('should publish the metrics of one topic together in batch mode', async () => {
    const prefix = uniquePrefix('out-batch');
    const sub = await mosquittoSub(`${prefix}/#`, 2);
    const out = await output({ topic: `${prefix}/{tag:host}`, batch: true, qos: 2 });
    const sent = batch(10);
    await writeWhenConnected(out, sent);
    const got = await sub.messages();
    expect(got.map((m) => m.topic).sort()).toEqual([`${prefix}/h0`, `${prefix}/h1`]);
    const metrics = got.flatMap((m) => new LineProtocolParser().parse(m.payload).metrics);
    expect(seqs(metrics)).toEqual(range(10));
  });

  it('should fail as retryable while the broker cannot be reached', async () => {
    const out = await output({ servers: ['tcp://127.0.0.1:1'], topic: 'never' });
    await expect(out.write(batch(1))).rejects.toMatchObject({ kind: 'retryable' });
  });
});
