import dgram from 'node:dgram';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig, testContext, TestAccumulator } from '../../../core/plugin/testing.ts';
import { statsdInput } from './index.ts';
import { StatsdInput } from './statsd.ts';
import { parseStatsdLine, type StatEvent } from './parse.ts';
import { NameMapper } from './template.ts';

const NOW = 1_764_140_000_000;
const running: StatsdInput[] = [];
afterEach(async () => {
  for (const s of running.splice(0)) await s.stop();
});

async function start(
  table: Record<string, unknown> = {},
): Promise<{ input: StatsdInput; acc: TestAccumulator }> {
  const ctx = testContext(statsdInput, { clock: { now: () => NOW, monotonic: () => performance.now() } });
  const input = new StatsdInput(
    parseConfig(statsdInput, { service_address: 'udp://127.0.0.1:0', ...table }),
    ctx,
  );
  const acc = new TestAccumulator();
  await input.start(acc);
  running.push(input);
  return { input, acc };
}

/** Sends datagrams from a real UDP client and waits until the input has parsed `lines` lines. */
async function sendUdp(input: StatsdInput, datagrams: string[], lines: number): Promise<void> {
  const client = dgram.createSocket('udp4');
  for (const d of datagrams) {
    await new Promise<void>((resolve, reject) =>
      client.send(d, input.port, '127.0.0.1', (e) => (e ? reject(e) : resolve())),
    );
  }
  client.close();
  const until = Date.now() + 5000;
  while (input.lines < lines) {
    if (Date.now() > until) throw new Error(`only ${input.lines} of ${lines} lines arrived`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function gathered(input: StatsdInput): TestAccumulator {
  const acc = new TestAccumulator();
  input.gather(acc);
  return acc;
}

const byName = (acc: TestAccumulator, name: string) => acc.metrics.filter((m) => m.name === name);

describe('statsd input', () => {
  it('should sum counters scaled by their sample rate as integers', async () => {
    const { input } = await start();
    await sendUdp(input, ['requests.ok:1|c', 'requests.ok:2|c|@0.5\nrequests.ok:3|c'], 3);
    const [m] = gathered(input).metrics;
    expect(m.name).toBe('requests_ok');
    expect(m.tags).toEqual({ metric_type: 'counter' });
    expect(m.fields).toEqual({ value: 8 });
    expect(m.fieldType('value')).toBe('int');
    expect(m.timeMs).toBe(NOW);
    expect(m.timeNs).toBe(0);
  });

  it('should keep counters integers, exact up to int64, and reject an increment outside int64', async () => {
    const { input, acc } = await start();
    await sendUdp(
      input,
      [
        'big:9007199254740993|c\nbig:1|c',
        'huge:99999999999999999999999|c\nhuge:1e300|c\nscaled:5e18|c|@0.5\nsmall:2.9|c\nsmall:1e3|c',
      ],
      7,
    );
    const g = gathered(input);
    const field = (name: string) => byName(g, name)[0];
    expect(field('big').fields).toEqual({ value: 9007199254740994n });
    expect(field('big').fieldType('value')).toBe('int');
    expect(field('small').fields).toEqual({ value: 1002 });
    expect(field('small').fieldType('value')).toBe('int');
    expect(byName(g, 'huge')).toEqual([]);
    expect(byName(g, 'scaled')).toEqual([]);
    expect(acc.rejects).toEqual([
      expect.objectContaining({
        reason: 'invalid statsd line',
        count: 3,
        detail: expect.objectContaining({
          line: 1,
          message: 'counter increment 99999999999999999999999 is outside the int64 range',
        }) as unknown,
      }),
    ]);
  });

  it('should clamp a counter whose sum leaves int64 at the int64 bound, counting it', async () => {
    const { input, acc } = await start();
    await sendUdp(input, ['sum:9223372036854775807|c\nsum:1|c'], 2);
    const [m] = gathered(input).metrics;
    expect(m.fields).toEqual({ value: 9223372036854775807n });
    expect(m.fieldType('value')).toBe('int');
    expect(acc.rejects).toEqual([
      expect.objectContaining({ reason: 'counter sum outside int64; clamped', count: 1 }),
    ]);
  });

  it('should keep the last gauge value and apply signed deltas', async () => {
    const { input } = await start();
    await sendUdp(input, ['temp:20|g\ntemp:+5|g\ntemp:-2.5|g', 'load:3|g\nload:1|g'], 5);
    const acc = gathered(input);
    expect(byName(acc, 'temp')[0].fields).toEqual({ value: 22.5 });
    expect(byName(acc, 'load')[0].fields).toEqual({ value: 1 });
    expect(byName(acc, 'load')[0].fieldType('value')).toBe('float');
  });

  it('should report timings with mean, bounds, stddev, count and percentiles', async () => {
    const { input } = await start({ percentiles: [50, 90, 99] });
    const lines = Array.from({ length: 10 }, (_, i) => `db.query:${(i + 1) * 10}|ms`).join('\n');
    await sendUdp(input, [lines], 10);
    const [m] = gathered(input).metrics;
    expect(m.name).toBe('db_query');
    expect(m.tags).toEqual({ metric_type: 'timing' });
    expect(m.fields).toMatchObject({ mean: 55, sum: 550, upper: 100, lower: 10, count: 10, median: 55 });
    expect(m.fields['50_percentile']).toBe(60);
    expect(m.fields['90_percentile']).toBe(100);
    expect(m.fields['99_percentile']).toBe(100);
    expect(m.fields.stddev as number).toBeCloseTo(Math.sqrt(825), 9);
    expect(m.fieldType('count')).toBe('int');
  });

  it('should weight sampled timings in the count and tag histograms by their type', async () => {
    const { input } = await start();
    await sendUdp(input, ['rt:10|ms|@0.1', 'size:5|h\nsize:7|d'], 3);
    const acc = gathered(input);
    expect(byName(acc, 'rt')[0].fields.count).toBe(10);
    expect(
      byName(acc, 'size')
        .map((m) => m.tags.metric_type)
        .sort(),
    ).toEqual(['distribution', 'histogram']);
  });

  it('should count distinct set members', async () => {
    const { input } = await start();
    await sendUdp(input, ['users:alice|s\nusers:bob|s\nusers:alice|s'], 3);
    const [m] = gathered(input).metrics;
    expect(m.fields).toEqual({ value: 2 });
    expect(m.tags).toEqual({ metric_type: 'set' });
  });

  it('should take DogStatsD tags and tags in the bucket name', async () => {
    const { input } = await start();
    await sendUdp(input, ['page.views:1|c|#env:prod,region:eu,canary', 'cpu.load,host=a:0.5|g'], 2);
    const acc = gathered(input);
    expect(byName(acc, 'page_views')[0].tags).toEqual({
      env: 'prod',
      region: 'eu',
      canary: 'true',
      metric_type: 'counter',
    });
    expect(byName(acc, 'cpu_load')[0].tags).toEqual({ host: 'a', metric_type: 'gauge' });
  });

  it('should reject bad lines with the reason and keep the good ones of the datagram', async () => {
    const { input, acc } = await start();
    await sendUdp(input, ['ok:1|c\nbroken line\nbad:1|zz\nok:2|c'], 4);
    expect(gathered(input).metrics[0].fields).toEqual({ value: 3 });
    expect(acc.rejects).toHaveLength(1);
    expect(acc.rejects[0]).toMatchObject({ reason: 'invalid statsd line', count: 2 });
    expect(acc.rejects[0].detail).toMatchObject({ line: 2, message: 'no ":" after the bucket name' });
  });

  it('should reset after a gather unless told to keep counters and gauges', async () => {
    const { input } = await start({ delete_counters: false, delete_gauges: false });
    await sendUdp(input, ['c:1|c\ng:5|g\nt:1|ms'], 3);
    expect(gathered(input).metrics).toHaveLength(3);
    await sendUdp(input, ['c:2|c'], 4);
    const second = gathered(input);
    expect(byName(second, 'c')[0].fields).toEqual({ value: 3 });
    expect(byName(second, 'g')[0].fields).toEqual({ value: 5 });
    expect(byName(second, 't')).toHaveLength(0);
  });

  it('should reject series beyond max_series', async () => {
    const { input, acc } = await start({ max_series: 2 });
    await sendUdp(input, ['a:1|c\nb:1|c\nc:1|c'], 3);
    expect(gathered(input).metrics).toHaveLength(2);
    expect(acc.rejects[0]).toMatchObject({ reason: 'too many series (max_series)', count: 1 });
  });

  it('should accept statsd over TCP with lines split across writes', async () => {
    const { input } = await start({ service_address: 'tcp://127.0.0.1:0' });
    const sock = net.connect(input.port, '127.0.0.1');
    sock.write('hits:4|c\nhi');
    sock.end('ts:2|c\n');
    const until = Date.now() + 5000;
    while (input.lines < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
    const acc = gathered(input);
    expect(acc.metrics).toHaveLength(1);
    expect(byName(acc, 'hits')[0].fields).toEqual({ value: 6 });
  });
});

describe('statsd line parsing', () => {
  it('should read several values after one bucket', () => {
    const out: StatEvent[] = [];
    expect(parseStatsdLine('a:1|c:2|ms', true, out)).toBeUndefined();
    expect(out.map((e) => [e.kind, e.value])).toEqual([
      ['counter', 1],
      ['timing', 2],
    ]);
  });

  it('should refuse a sample rate outside (0, 1]', () => {
    expect(parseStatsdLine('a:1|c|@2', true, [])).toBe('invalid sample rate "@2"');
  });
});

describe('statsd templates', () => {
  it('should map bucket parts to measurement, field and tags', () => {
    const m = new NameMapper(
      ['servers.* .host.measurement.field', 'measurement.measurement* region=eu'],
      '_',
    );
    expect(m.map('servers.web01.cpu.idle')).toEqual({
      measurement: 'cpu',
      field: 'idle',
      tags: { host: 'web01' },
    });
    expect(m.map('app.requests.ok')).toEqual({
      measurement: 'app_requests_ok',
      field: 'value',
      tags: { region: 'eu' },
    });
  });

  it('should refuse a malformed template in the config', () => {
    expect(statsdInput.config.safeParse({ templates: ['a b c=d e'] }).success).toBe(false);
  });
});
