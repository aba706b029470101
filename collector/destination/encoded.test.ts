import fs from 'node:fs';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { compileFilter } from '../../core/engine/filter/filter.ts';
import { Telemetry } from '../../core/engine/telemetry/telemetry.ts';
import { decodeBatch, encodeBatch } from '../../core/format/binary/index.ts';
import { serializeMetricTo } from '../../core/format/lineprotocol/index.ts';
import { WriteError } from '../../core/model/errors/errors.ts';
import { Metric } from '../../core/model/metric/metric.ts';
import type { OutputInstance } from '../../core/plugin/types.ts';
import { destinationSchema, routeSchema } from '../config.ts';
import { encodeRecord } from '../ingest/record.ts';
import { Router } from '../route/router.ts';
import { openSpool, tempDir } from '../spool/testing.ts';
import { DeadLetterFile } from './dead-letter.ts';
import { Destination } from './destination.ts';

/** An output that records what it was given (as line protocol) and how. */
class Recorder implements OutputInstance {
  lines: string[] = [];
  binaryWrites = 0;
  metricWrites = 0;
  /** Refuses every metric tagged bad=1 (a partial write: the rest is accepted). */
  refuseBad = false;
  /** Fails every write (retryable): the output is down. */
  down = false;
  connects = 0;

  connect(): Promise<void> {
    this.connects++;
    return Promise.resolve();
  }
  writeBinary?: (batches: readonly Uint8Array[], count: number) => Promise<void>;

  constructor(binary: boolean) {
    if (binary)
      this.writeBinary = (batches, count) => {
        this.binaryWrites++;
        const metrics = batches.flatMap((b) => decodeBatch(b));
        expect(metrics.length).toBe(count);
        return this.take(metrics);
      };
  }

  write(metrics: Metric[]): Promise<void> {
    this.metricWrites++;
    return this.take(metrics);
  }

  private take(metrics: Metric[]): Promise<void> {
    if (this.down) return Promise.reject(WriteError.retryable('down'));
    const bad = metrics.flatMap((m, index) => (this.refuseBad && m.tags.bad === '1' ? [index] : []));
    const ok = metrics.filter((_, i) => !bad.includes(i));
    for (const m of ok) this.lines.push(serializeMetricTo(m));
    if (bad.length === 0) return Promise.resolve();
    return Promise.reject(
      WriteError.partial('refused', { rejected: bad.map((index) => ({ index, reason: 'bad tag' })) }),
    );
  }
}

const batchOf = (agent: string, i: number, n = 3): Buffer =>
  encodeRecord(
    agent,
    encodeBatch(
      Array.from(
        { length: n },
        (_, k) =>
          new Metric(
            k % 2 === 0 ? 'cpu' : 'mem',
            { agent, bad: String((i + k) % 5 === 0 ? 1 : 0) },
            { v: i * 10 + k, n: BigInt(k) },
            1_700_000_000_000 + i,
            k,
            { n: 'int' },
          ),
      ),
    ),
  );

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/**
 * Spools `records`, runs destination "d" over them with `routes` until `expected` metrics were
 * written or dead-lettered, and returns what the output got, the dead letters and the counters.
 */
async function deliver(
  routes: unknown[],
  records: Buffer[],
  output: Recorder,
  expected: number,
): Promise<{ lines: string[]; dead: string[]; counters: string[] }> {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  const spool = openSpool(`${dir}/spool`);
  for (const r of records) await spool.append(r);
  const router = new Router(routes.map((r) => routeSchema.parse(r)));
  const telemetry = new Telemetry('test');
  const dl = new DeadLetterFile(`${dir}/dead`, 'd', 1 << 20);
  const d = new Destination({
    config: destinationSchema.parse({ name: 'd', outputs: ['out'], batch_size: 4 }),
    reader: spool.reader('d'),
    router,
    chains: router.routesTo('d').map((route) => ({ route, processors: [], aborts: [] })),
    outputs: [
      {
        alias: 'out',
        label: 'outputs.test',
        instance: output,
        abort: new AbortController(),
        filter: compileFilter({}),
      },
    ],
    deadLetter: dl,
    countsRouting: true,
    telemetry,
    log: pino({ level: 'silent' }),
  });
  await d.start();
  const dead = (): string[] =>
    fs.existsSync(dl.file)
      ? fs
          .readFileSync(dl.file, 'utf8')
          .split('\n')
          .filter((l) => l !== '' && !l.startsWith('#'))
      : [];
  await expect.poll(() => output.lines.length + dead().length, { timeout: 10_000 }).toBe(expected);
  await expect.poll(() => d.health().lag_records, { timeout: 10_000 }).toBe(0);
  await d.stop(1000);
  await spool.close();
  const counters = (await telemetry.snapshot())
    .filter((m) => /route|unrouted|destination_metrics|dead_letters/.test(m.name))
    .map((m) => `${m.name} ${JSON.stringify(m.tags)} ${String(m.fields.value)}`)
    .sort();
  return { lines: output.lines, dead: dead(), counters };
}

/** The records of four agents, interleaved. */
const records = [0, 1, 2, 3, 4, 5].flatMap((i) => [
  batchOf('a1', i),
  batchOf('a2', i),
  batchOf('a3', i),
  batchOf('other', i),
]);

describe('a destination writing spooled batches without decoding them', () => {
  it('should write, count and route by agent exactly as decoding does', async () => {
    const routes = [
      { name: 'drop-a3', agents: ['a3'], drop: true },
      { name: 'a1', agents: ['a1'], destinations: ['d'], continue: true },
      { name: 'a1-elsewhere', agents: ['a1'], destinations: ['e'] },
      { name: 'rest', agents: ['a*'], destinations: ['d'] },
    ];
    // a1 and a2 reach d (18 + 18 metrics); a3 is dropped; "other" is unrouted.
    const fast = await deliver(routes, records, new Recorder(true), 36);
    const slow = await deliver(routes, records, new Recorder(false), 36);
    expect(fast.lines).toEqual(slow.lines);
    expect(fast.counters).toEqual(slow.counters);
    expect(fast.counters).toContain('viva_collector_unrouted {} 18');
    expect(fast.counters).toContain('viva_collector_route_dropped {"route":"drop-a3"} 18');
    expect(fast.counters).toContain('viva_collector_route_metrics {"route":"a1","destination":"d"} 18');
  });

  it('should have used the binary write for every batch when no route looks at the metrics', async () => {
    const out = new Recorder(true);
    await deliver([{ name: 'all', destinations: ['d'] }], records, out, records.length * 3);
    expect(out.binaryWrites).toBeGreaterThan(0);
    expect(out.metricWrites).toBe(0);
    expect(out.lines).toEqual(
      records.flatMap((r) => decodeBatch(r.subarray(2 + r[1]))).map((m) => serializeMetricTo(m)),
    );
  });

  it('should decode, and write the same, where a route matches by name', async () => {
    const routes = [
      { name: 'a1', agents: ['a1'], destinations: ['d'] },
      { name: 'cpu', namepass: ['cpu'], destinations: ['d'] },
    ];
    // a1: 18; every other agent's cpu metrics: 2 of 3 per batch, 18 batches.
    const fast = await deliver(routes, records, new Recorder(true), 18 + 36);
    const slow = await deliver(routes, records, new Recorder(false), 18 + 36);
    expect(fast.lines).toEqual(slow.lines);
    expect(fast.counters).toEqual(slow.counters);
  });

  it('should dead-letter what a binary write refuses and write the rest, as decoding does', async () => {
    const routes = [{ name: 'all', destinations: ['d'] }];
    const fastOut = new Recorder(true);
    fastOut.refuseBad = true;
    const slowOut = new Recorder(false);
    slowOut.refuseBad = true;
    const fast = await deliver(routes, records, fastOut, records.length * 3);
    const slow = await deliver(routes, records, slowOut, records.length * 3);
    expect(fast.dead.length).toBeGreaterThan(0);
    expect(fast.dead).toEqual(slow.dead);
    expect(fast.lines).toEqual(slow.lines);
    expect(fast.counters).toEqual(slow.counters);
  });

  it('should move past batches that go nowhere here without a write, even with every output down', async () => {
    const out = new Recorder(true);
    out.down = true;
    const routes = [
      { name: 'drop-a3', agents: ['a3'], drop: true },
      { name: 'a1', agents: ['a1'], destinations: ['d'] },
    ];
    const only = records.filter((r) => r.subarray(2, 2 + r[1]).toString() !== 'a1');
    const { counters } = await deliver(routes, only, out, 0);
    // Outputs connect once at start (an InfluxDB output provisions then); nothing is written, and
    // the down output is not retried for batches that do not need it.
    expect(out.binaryWrites + out.metricWrites).toBe(0);
    expect(out.connects).toBeLessThanOrEqual(1);
    expect(counters).toContain('viva_collector_route_dropped {"route":"drop-a3"} 18');
    expect(counters).toContain('viva_collector_unrouted {} 36');
  });
});
