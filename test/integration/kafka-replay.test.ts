/**
 * Replay by time from Kafka, against the real broker and InfluxDB: three hours of synthetic,
 * back-dated metrics (within the broker's retention) are produced with explicit record timestamps,
 * some records produced late (their record time after their metric time); `viva replay kafka`
 * replays the middle hour through the config's processors into a fresh database, and the database
 * holds exactly the metrics of that hour. Also: a new consumer group started at a point in time
 * (start_at_time) reads from there, and a group that has offsets ignores it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig, TestAccumulator, testContext } from '../../core/plugin/testing.ts';
import type { InputInstance } from '../../core/plugin/types.ts';
import { kafkaConsumerInput } from '../../plugins/inputs/kafka_consumer/index.ts';
import { runViva, tempDir } from '../helpers/viva.ts';
import { dropDatabase, influxQuery, influxUrl, uniqueDatabase } from './support/influx.ts';
import { brokers, createTopic, produceTimed, uniqueTopic, type TimedRecord } from './support/kafka.ts';

const HOUR = 3_600_000;
const MINUTE = 60_000;
const HOSTS = ['h0', 'h1', 'h2', 'h3', 'h4'];

const cleanup: (() => Promise<void>)[] = [];
const open: InputInstance[] = [];
afterEach(async () => {
  for (const i of open.splice(0)) await i.stop?.();
  for (const c of cleanup.splice(0)) await c();
});

/**
 * One metric per host and minute over three hours from `t0`, each with a unique seq per series.
 * Every 7th record is produced 90 s late (record time after metric time), so record time and
 * metric time disagree near the bounds.
 */
function threeHours(t0: number): (TimedRecord & { host: string; seq: number; timeMs: number })[] {
  const out: (TimedRecord & { host: string; seq: number; timeMs: number })[] = [];
  for (let minute = 0; minute < 180; minute++)
    for (const host of HOSTS) {
      const timeMs = t0 + minute * MINUTE;
      const seq = minute;
      const late = (minute * HOSTS.length + HOSTS.indexOf(host)) % 7 === 0;
      out.push({
        host,
        seq,
        timeMs,
        key: `synthetic,host=${host}`,
        value: `synthetic,host=${host} seq=${seq}i,v=${seq * 0.25} ${timeMs}000000`,
        timestampMs: timeMs + (late ? 90_000 : 0),
      });
    }
  return out;
}

describe('replay from kafka by time', () => {
  it('should write exactly the metrics of one hour of a topic to a fresh database', async () => {
    const topic = uniqueTopic('viva-replay');
    await createTopic(topic, 3);
    // Three whole hours, ending two hours ago: well within the broker's retention (7 days).
    const t0 = Math.floor((Date.now() - 5 * HOUR) / HOUR) * HOUR;
    const records = threeHours(t0);
    await produceTimed(topic, records);

    const db = uniqueDatabase('viva_replay_kafka');
    cleanup.push(() => dropDatabase(db));
    const dir = tempDir('viva-replay-kafka-');
    cleanup.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
    const config = path.join(dir, 'replay.toml');
    fs.writeFileSync(
      config,
      `[agent]\nomit_hostname = true\n\n[[processors.tags]]\noverwrite = { replayed = "kafka" }\n\n` +
        `[[outputs.influxdb]]\nurls = ["${influxUrl()}"]\ndatabase = "${db}"\n`,
    );
    const since = new Date(t0 + HOUR).toISOString();
    const until = new Date(t0 + 2 * HOUR - 1).toISOString();
    const r = await runViva(
      [
        'replay',
        'kafka',
        '-c',
        config,
        '--topic',
        topic,
        '--brokers',
        brokers().join(','),
        '--since',
        since,
        '--until',
        until,
      ],
      { cwd: dir },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/viva replay kafka:.*: read \d+/);

    const expected = records
      .filter((x) => x.timeMs >= t0 + HOUR && x.timeMs < t0 + 2 * HOUR)
      .map((x) => `${x.host} ${x.seq} ${x.timeMs}`)
      .sort();
    expect(expected).toHaveLength(60 * HOSTS.length);
    const series = await influxQuery('SELECT "seq", "host", "replayed" FROM "synthetic"', db);
    const rows = series.flatMap((s) => s.values);
    const got = rows
      .map(([time, seq, host]) => `${String(host)} ${String(seq)} ${BigInt(String(time)) / 1_000_000n}`)
      .sort();
    expect(got).toEqual(expected);
    // Through the config's processors.
    expect(new Set(rows.map((v) => v[3]))).toEqual(new Set(['kafka']));
  });

  it('should start a new consumer group at start_at_time, and resume an existing group from its offsets', async () => {
    const topic = uniqueTopic('viva-start-at');
    await createTopic(topic, 2);
    const t0 = Math.floor((Date.now() - 5 * HOUR) / HOUR) * HOUR;
    const records = threeHours(t0).map((r) => ({ ...r, timestampMs: r.timeMs }));
    await produceTimed(topic, records);
    const group = `${topic}-g`;
    const at = new Date(t0 + 2 * HOUR).toISOString();
    const consume = async (): Promise<TestAccumulator> => {
      const input = await kafkaConsumerInput.create(
        parseConfig(kafkaConsumerInput, {
          brokers: brokers(),
          topics: [topic],
          consumer_group: group,
          start_at_time: at,
        }),
        testContext(kafkaConsumerInput),
      );
      open.push(input);
      const acc = new TestAccumulator();
      await input.start?.(acc);
      return acc;
    };
    const first = await consume();
    const lastHour = records.filter((r) => r.timeMs >= t0 + 2 * HOUR).length;
    await first.waitFor(lastHour, 60_000);
    expect(Math.min(...first.metrics.map((m) => m.timeMs))).toBe(t0 + 2 * HOUR);
    expect(first.metrics).toHaveLength(lastHour);
    first.ackAll();
    await open.splice(0)[0].stop?.();

    // The group has offsets now: start_at_time does not move it back.
    await produceTimed(topic, [
      { key: 'synthetic,host=h0', value: `synthetic,host=h0 seq=999i ${t0}000000`, timestampMs: t0 },
    ]);
    const second = await consume();
    await second.waitFor(1, 60_000);
    await new Promise((r) => setTimeout(r, 1500));
    expect(second.metrics.map((m) => Number(m.fields.seq))).toEqual([999]);
    second.ackAll();
  });
});
