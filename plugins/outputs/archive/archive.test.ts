import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, describe, expect, it } from 'vitest';
import { parseLineProtocol, serializeLineProtocol } from '../../../core/format/lineprotocol/index.ts';
import { readManifest } from '../../../core/lib/archive/manifest.ts';
import { Metric } from '../../../core/model/metric/metric.ts';
import { parseConfig, testContext } from '../../../core/plugin/testing.ts';
import { ArchiveOutput } from './archive.ts';
import { archiveOutput } from './index.ts';

const T0 = Date.UTC(2026, 11, 3, 14, 0, 0);

class FakeClock {
  t: number;
  constructor(t: number) {
    this.t = t;
  }
  now(): number {
    return this.t;
  }
  monotonic(): number {
    return performance.now();
  }
}

/** n metrics: cpu (float, int, bool, string fields; host tag) and every 4th a mem metric. */
function sample(n: number, from: number): Metric[] {
  const out: Metric[] = [];
  for (let i = 0; i < n; i++) {
    const t = from + i * 7;
    if (i % 4 === 3) {
      const m = new Metric('mem', { host: `h${i % 3}` }, { used_percent: i / 8 }, t, 123);
      m.setInt('free', 1000 + i, 'uint');
      out.push(m);
      continue;
    }
    const m = new Metric(
      'cpu',
      { host: `h${i % 3}`, cpu: `cpu${i % 2}` },
      { usage: i * 0.25, ok: i % 2 === 0, msg: `m "${i}"` },
      t,
      i % 1000,
    );
    m.setInt('n', i);
    out.push(m);
  }
  return out;
}

async function waitFor(fn: () => boolean, what: string, ms = 20_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

const dirs: string[] = [];
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'viva-archive-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function output(dir: string, clock: FakeClock, table: Record<string, unknown> = {}): ArchiveOutput {
  const cfg = parseConfig(archiveOutput, { dir, stream: 'metrics', period: '1h', ...table });
  return new ArchiveOutput(cfg, testContext(archiveOutput, { clock }));
}

/** Every file under dir, relative. */
function files(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => fs.statSync(path.join(dir, f)).isFile())
    .sort();
}

async function duck<T = Record<string, unknown>>(sql: string): Promise<T[]> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    return (await c.runAndReadAll(sql)).getRowObjectsJson() as T[];
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

describe('archive output', () => {
  it('should finish one gzip line protocol and one Parquet file per period, listed in the manifest', async () => {
    const dir = tmp();
    const clock = new FakeClock(T0 + 1000);
    const out = output(dir, clock);
    await out.connect();
    const first = sample(1000, T0);
    await out.write(first.slice(0, 600));
    await out.write(first.slice(600));
    clock.t = T0 + 3_600_000 + 5; // the next hour
    const second = sample(10, T0 + 3_600_000);
    await out.write(second);
    await out.close();

    const m = readManifest(path.join(dir, 'metrics'));
    expect(m.files.map((e) => [e.file, e.format, e.rows])).toEqual([
      ['2026-12-03/metrics-20261203T140000Z-1.lp.gz', 'lp_gz', 1000],
      ['2026-12-03/metrics-20261203T140000Z-1.parquet', 'parquet', 1000],
      ['2026-12-03/metrics-20261203T150000Z-1.lp.gz', 'lp_gz', 10],
      ['2026-12-03/metrics-20261203T150000Z-1.parquet', 'parquet', 10],
    ]);
    expect(m.files[0]).toMatchObject({ min_time: T0, max_time: T0 + 999 * 7, period_start: T0 });
    for (const e of m.files) {
      const data = fs.readFileSync(path.join(dir, 'metrics', e.file));
      expect(data.length).toBe(e.bytes);
      const { createHash } = await import('node:crypto');
      expect(createHash('sha256').update(data).digest('hex')).toBe(e.sha256);
    }
    // Nothing but finished files and the manifest: no open period, no temp file.
    expect(files(path.join(dir, 'metrics'))).toEqual([...m.files.map((e) => e.file), 'manifest.json'].sort());

    // The line protocol file holds exactly the points written.
    const lp = zlib.gunzipSync(fs.readFileSync(path.join(dir, 'metrics', m.files[0].file)));
    expect(lp.toString()).toBe(serializeLineProtocol(first).data.toString());
  });

  it('should write Parquet that DuckDB reads back: rows, sums, types, tags and time', async () => {
    const dir = tmp();
    const clock = new FakeClock(T0);
    const out = output(dir, clock);
    const metrics = sample(2000, T0);
    await out.write(metrics);
    await out.close();
    const file = path.join(dir, 'metrics', readManifest(path.join(dir, 'metrics')).files[1].file);
    expect(file.endsWith('.parquet')).toBe(true);

    const cpu = metrics.filter((x) => x.name === 'cpu');
    const mem = metrics.filter((x) => x.name === 'mem');
    const [agg] = await duck<Record<string, string | number | null>>(
      `SELECT count(*) AS rows, count(usage) AS cpu_rows, sum(usage) AS usage, sum(n) AS n,
              sum(free) AS free, sum(used_percent) AS used, count_if(ok) AS oks,
              min(time) AS tmin, max(epoch_ns(time)) AS tmax
       FROM read_parquet('${file}')`,
    );
    expect(Number(agg.rows)).toBe(metrics.length);
    expect(Number(agg.cpu_rows)).toBe(cpu.length);
    expect(Number(agg.usage)).toBe(cpu.reduce((s, x) => s + (x.fields.usage as number), 0));
    expect(BigInt(agg.n as string)).toBe(cpu.reduce((s, x) => s + BigInt(x.fields.n as number), 0n));
    expect(BigInt(agg.free as string)).toBe(mem.reduce((s, x) => s + BigInt(x.fields.free as number), 0n));
    expect(Number(agg.used)).toBeCloseTo(
      mem.reduce((s, x) => s + (x.fields.used_percent as number), 0),
      9,
    );
    expect(Number(agg.oks)).toBe(cpu.filter((x) => x.fields.ok === true).length);
    // Microseconds by default: the nanoseconds below are cut.
    const last = metrics[metrics.length - 1];
    expect(BigInt(agg.tmax as string)).toBe(
      BigInt(last.timeMs) * 1_000_000n + BigInt(last.timeNs - (last.timeNs % 1000)),
    );

    const types = await duck<{ column_name: string; column_type: string }>(
      `SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet('${file}'))`,
    );
    expect(Object.fromEntries(types.map((t) => [t.column_name, t.column_type]))).toEqual({
      time: 'TIMESTAMP WITH TIME ZONE',
      measurement: 'VARCHAR',
      cpu: 'VARCHAR',
      host: 'VARCHAR',
      free: 'UBIGINT',
      msg: 'VARCHAR',
      n: 'BIGINT',
      ok: 'BOOLEAN',
      usage: 'DOUBLE',
      used_percent: 'DOUBLE',
    });
    const byHost = await duck<{ host: string; c: string }>(
      `SELECT host, count(*) AS c FROM read_parquet('${file}') WHERE measurement = 'cpu' GROUP BY host ORDER BY host`,
    );
    expect(byHost.map((r) => [r.host, Number(r.c)])).toEqual(
      ['h0', 'h1', 'h2'].map((h) => [h, cpu.filter((x) => x.tags.host === h).length]),
    );
    const [s] = await duck<{ msg: string }>(`SELECT msg FROM read_parquet('${file}') WHERE n = 5`);
    expect(s.msg).toBe('m "5"');
  });

  it('should type a field DOUBLE when its values mix integers and floats, STRING when they mix kinds', async () => {
    const dir = tmp();
    const out = output(dir, new FakeClock(T0));
    const a = new Metric('x', {}, { v: 1.5, w: 'text', time: 1 }, T0);
    const b = new Metric('x', { v: 'tag' }, { w: true }, T0 + 1);
    b.setInt('v', 2);
    await out.write([a, b]);
    await out.close();
    const file = path.join(dir, 'metrics', readManifest(path.join(dir, 'metrics')).files[1].file);
    const rows = await duck(`SELECT * FROM read_parquet('${file}') ORDER BY time`);
    expect(rows.map((r) => ({ ...r, time: undefined }))).toEqual([
      { time: undefined, measurement: 'x', v: null, field_v: 1.5, w: 'text', field_time: 1 },
      { time: undefined, measurement: 'x', v: 'tag', field_v: 2, w: 'true', field_time: null },
    ]);
  });

  it('should keep every nanosecond with parquet_time_unit = "ns"', async () => {
    const dir = tmp();
    const out = output(dir, new FakeClock(T0), { parquet_time_unit: 'ns', formats: ['parquet'] });
    const metrics = sample(50, T0);
    await out.write(metrics);
    await out.close();
    const file = path.join(dir, 'metrics', readManifest(path.join(dir, 'metrics')).files[0].file);
    const rows = await duck<{ t: string }>(`SELECT epoch_ns(time) AS t FROM read_parquet('${file}')`);
    expect(rows.map((r) => BigInt(r.t))).toEqual(
      metrics.map((m) => BigInt(m.timeMs) * 1_000_000n + BigInt(m.timeNs)),
    );
    const [t] = await duck<{ column_type: string }>(
      `SELECT column_type FROM (DESCRIBE SELECT time FROM read_parquet('${file}'))`,
    );
    expect(t.column_type).toBe('TIMESTAMP_NS');
  });

  it('should delete files whose period ended longer ago than max_age, keeping newer ones', async () => {
    const dir = tmp();
    const clock = new FakeClock(T0);
    const out = output(dir, clock, { period: '10s', max_age: '30s', grace: '0s' });
    await out.connect();
    for (let k = 0; k < 6; k++) {
      clock.t = T0 + k * 10_000;
      await out.write(sample(5, clock.t));
    }
    await out.maintain();
    clock.t = T0 + 60_000;
    await out.maintain(); // periods end at +10 s .. +60 s; cutoff +30 s
    const m = readManifest(path.join(dir, 'metrics'));
    expect([...new Set(m.files.map((e) => e.period_start - T0))]).toEqual([30_000, 40_000, 50_000]);
    expect(files(path.join(dir, 'metrics'))).toEqual([...m.files.map((e) => e.file), 'manifest.json'].sort());
    clock.t = T0 + 85_000;
    await out.maintain();
    expect(readManifest(path.join(dir, 'metrics')).files.map((e) => e.period_start - T0)).toEqual([
      50_000, 50_000,
    ]);
    await out.close();
  });

  it('should finish an open period a crashed run left, cutting its torn last line, and start a new part', async () => {
    const crashedDir = tmp();
    const clock = new FakeClock(T0);
    const crashed = output(crashedDir, clock);
    await crashed.write(sample(100, T0));
    // The disk as the crashed run left it (a copy: the crashed instance still holds its stream),
    // with half a line appended after the last acknowledged write and a half-written temp file.
    const dir = tmp();
    fs.cpSync(crashedDir, dir, { recursive: true });
    const open = path.join(dir, 'metrics', '.open');
    const [name] = fs.readdirSync(open);
    fs.appendFileSync(path.join(open, name), 'cpu,host=h0 usage=1');
    fs.writeFileSync(path.join(dir, 'metrics', '.x.parquet.tmp-999'), 'half');

    const next = output(dir, clock);
    await next.connect();
    await next.write(sample(3, T0 + 5000));
    await next.close();
    await crashed.close();
    const m = readManifest(path.join(dir, 'metrics'));
    expect(m.files.map((e) => [e.part, e.format, e.rows])).toEqual([
      [1, 'lp_gz', 100],
      [1, 'parquet', 100],
      [2, 'lp_gz', 3],
      [2, 'parquet', 3],
    ]);
    const lp = zlib.gunzipSync(fs.readFileSync(path.join(dir, 'metrics', m.files[0].file)));
    expect(parseLineProtocol(lp).metrics).toHaveLength(100);
    expect(files(path.join(dir, 'metrics'))).toEqual([...m.files.map((e) => e.file), 'manifest.json'].sort());
  });

  it('should count rows and the time range without parsing when it writes lp_gz alone', async () => {
    const dir = tmp();
    const out = output(dir, new FakeClock(T0), { formats: ['lp_gz'] });
    const metrics = sample(40, T0 + 1000);
    await out.write(metrics.slice(0, 25));
    await out.write(metrics.slice(25));
    await out.close();
    const [e] = readManifest(path.join(dir, 'metrics')).files;
    expect([e.rows, e.min_time, e.max_time]).toEqual([40, T0 + 1000, T0 + 1000 + 39 * 7]);
  });

  it('should finish a period on its own once the clock passes its end plus grace', async () => {
    const dir = tmp();
    const cfg = parseConfig(archiveOutput, { dir, stream: 'live', period: '1s', grace: '0s' });
    const out = new ArchiveOutput(cfg, testContext(archiveOutput));
    await out.connect();
    const now = Date.now();
    await out.write(
      sample(10, now - (now % 1000)).map((m) => Object.assign(m, { timeMs: now - (now % 1000) })),
    );
    const m = await waitFor(
      () => readManifest(path.join(dir, 'live')).files.length === 2,
      'the period to be finished',
    );
    expect(m).toBe(true);
    await out.close();
  });

  it('should split a batch by period and put a late metric into a new part of its finished period', async () => {
    const dir = tmp();
    const clock = new FakeClock(T0 + 3_600_000);
    const out = output(dir, clock, { formats: ['lp_gz'], grace: '0s' });
    await out.write([...sample(3, T0 + 3_599_990), ...sample(2, T0 + 3_600_000)]);
    clock.t = T0 + 2 * 3_600_000;
    await out.maintain();
    await out.write(sample(1, T0 + 10)); // late for 14:00
    await out.close();
    const m = readManifest(path.join(dir, 'metrics'));
    expect(m.files.map((e) => [e.file, e.rows])).toEqual([
      ['2026-12-03/metrics-20261203T140000Z-1.lp.gz', 2],
      ['2026-12-03/metrics-20261203T140000Z-2.lp.gz', 1],
      ['2026-12-03/metrics-20261203T150000Z-1.lp.gz', 3],
    ]);
  });

  it('should refuse a second writer of the same stream until the first one closed', async () => {
    const dir = tmp();
    const clock = new FakeClock(T0);
    const first = output(dir, clock);
    await first.write(sample(5, T0));
    const second = output(dir, clock);
    await expect(second.connect()).rejects.toThrow(/in use by another archive output/);
    await first.close();
    await second.write(sample(5, T0 + 100));
    await second.close();
    expect(readManifest(path.join(dir, 'metrics')).files.map((e) => [e.part, e.rows])).toEqual([
      [1, 5],
      [1, 5],
      [2, 5],
      [2, 5],
    ]);
  });

  it('should refuse a write after close rather than reopen the stream', async () => {
    const dir = tmp();
    const out = output(dir, new FakeClock(T0));
    await out.write(sample(2, T0));
    await out.close();
    await expect(out.write(sample(2, T0))).rejects.toThrow(/closed/);
    expect(fs.readdirSync(path.join(dir, 'metrics', '.open'))).toEqual([]);
  });

  it('should cut a part early at max_file_size', async () => {
    const dir = tmp();
    const out = output(dir, new FakeClock(T0), { max_file_size: '4KiB', formats: ['lp_gz'] });
    for (let k = 0; k < 10; k++) await out.write(sample(20, T0 + k * 1000));
    await out.close();
    const m = readManifest(path.join(dir, 'metrics'));
    expect(m.files.length).toBeGreaterThan(1);
    expect(m.files.reduce((s, e) => s + e.rows, 0)).toBe(200);
    expect(new Set(m.files.map((e) => e.part)).size).toBe(m.files.length);
  });
});
