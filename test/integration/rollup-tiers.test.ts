/**
 * Must show 2 of issue 15: a two-hour stream replayed in event time through a real `viva collector`
 * (POSTed batches with back-dated timestamps, some of them late within the grace) goes to three
 * retention policies of the real InfluxDB: raw, a 1-minute tier and a 1-hour tier built by merging
 * the minutes. Both tiers equal what InfluxDB computes from the raw points with InfluxQL: count, min
 * and max exactly, sum and mean to a relative 1e-12 (float sums depend on their order).
 *
 * A live reload in the middle of the stream must not change that (the rollups' open windows are
 * saved at stop and restored).
 *
 * Quantiles are checked against the exact quantile computed here from the raw points. Rank
 * definition: for a window of n values sorted ascending x[0] <= ... <= x[n-1], the q-quantile is
 * x[floor(q * (n - 1))] (0-based; the rank DDSketch's getValueAtQuantile answers for). The tier's
 * value must be within the sketch's stated relative accuracy: |answer - x| <= 0.01 * x.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Metric } from '../../core/model/metric/metric.ts';
import { collectorConfig, postBatch, startCollector, type CollectorHandle } from '../helpers/collector.ts';
import { counterValue, scrape, tempDir, waitFor } from '../helpers/viva.ts';

const INFLUX = `http://127.0.0.1:${process.env.VIVA_INFLUX_PORT ?? '8086'}`;
const MIN = 60_000;
const HOUR = 60 * MIN;
const ACCURACY = 0.01;
const QUANTILES = [
  [0.5, 'v_p50'],
  [0.9, 'v_p90'],
  [0.99, 'v_p99'],
] as const;
const HOSTS = ['a', 'b', 'c'];
const TOKEN = 'rollup-admin-token';

const running: CollectorHandle[] = [];
const databases: string[] = [];

type Row = Record<string, number | string>;

/** Rows of an InfluxQL query, one object per row with the series' tags merged in (times in ms). */
async function rows(db: string, q: string): Promise<Row[]> {
  const body = new URLSearchParams({ q, db, epoch: 'ms' });
  const res = await fetch(`${INFLUX}/query`, { method: 'POST', body });
  const json = (await res.json()) as {
    results: {
      error?: string;
      series?: { tags?: Record<string, string>; columns: string[]; values: (number | string)[][] }[];
    }[];
  };
  const r = json.results[0];
  if (r.error !== undefined) throw new Error(`${q}: ${r.error}`);
  const out: Row[] = [];
  for (const s of r.series ?? [])
    for (const v of s.values)
      out.push({ ...s.tags, ...Object.fromEntries(s.columns.map((c, i) => [c, v[i]])) });
  return out;
}

afterEach(async () => {
  for (const c of running.splice(0)) if (c.proc.child.exitCode === null) c.proc.child.kill('SIGKILL');
  for (const db of databases.splice(0))
    await fetch(`${INFLUX}/query`, {
      method: 'POST',
      body: new URLSearchParams({ q: `DROP DATABASE "${db}"` }),
    });
});

/** Deterministic pseudo-random numbers in [0, 1). */
function lcg(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1_103_515_245 + 12_345) % 2 ** 31;
    return x / 2 ** 31;
  };
}

function config(db: string, timeout = '5s'): string {
  const output = (alias: string, rp: string, provision: string) => `
[[outputs.influxdb]]
alias = "${alias}"
urls = ["${INFLUX}"]
timeout = "${timeout}"
database = "${db}"
retention_policy = "${rp}"
${provision}`;
  const rollup = (alias: string, tiers: string) => `
[[processors.rollup]]
alias = "${alias}"
tiers = ${tiers}
grace = "2m"
quantiles = [0.5, 0.9, 0.99]
relative_accuracy = ${ACCURACY}
`;
  return `
[[routes]]
name = "raw"
destinations = ["raw"]
continue = true

[[routes]]
name = "minutes"
destinations = ["rollup_1m"]
processors = ["to_1m"]
continue = true

[[routes]]
name = "hours"
destinations = ["rollup_1h"]
processors = ["to_1h"]

[[destinations]]
name = "raw"
outputs = ["influx_raw"]

[[destinations]]
name = "rollup_1m"
outputs = ["influx_1m"]

[[destinations]]
name = "rollup_1h"
outputs = ["influx_1h"]
${rollup('to_1m', '["1m"]')}
${rollup('to_1h', '["1m", "1h"]')}
${output(
  'influx_raw',
  'raw',
  `[outputs.influxdb.provision]
retention_policies = [
  { name = "raw", duration = "7d", default = true },
  { name = "rollup_1m", duration = "90d" },
  { name = "rollup_1h", duration = "730d" },
]`,
)}
${output('influx_1m', 'rollup_1m', '')}
${output('influx_1h', 'rollup_1h', '')}
`;
}

/**
 * The stream in arrival order: every 2 s a value per host over two whole hours, plus late points
 * (a minute behind every 7 minutes, and one before the first hour's end after it) within the grace.
 */
function stream(t0: number): Metric[] {
  const rnd = lcg(42);
  const value = (): number => Math.exp(rnd() * 6) * (1 + rnd());
  const out: Metric[] = [];
  for (let t = t0; t < t0 + 2 * HOUR; t += 2000) {
    for (const host of HOSTS) out.push(new Metric('http', { host }, { v: value() }, t + HOSTS.indexOf(host)));
    if ((t - t0) % (7 * MIN) === 0 && t > t0 + 2 * MIN)
      out.push(new Metric('http', { host: 'a' }, { v: value() }, t - 70_000 + 17));
    if (t === t0 + HOUR + 40_000)
      out.push(new Metric('http', { host: 'b' }, { v: value() }, t0 + HOUR - 30_000 + 5));
  }
  // Moves event time past the last windows' grace (another measurement: no window of http).
  out.push(new Metric('watermark', {}, { v: 0 }, t0 + 2 * HOUR + 3 * MIN));
  return out;
}

/** `${host} ${time}` → row. */
function byKey(list: Row[]): Map<string, Row> {
  return new Map(list.map((r) => [`${r.host} ${r.time}`, r]));
}

function relErr(a: number, b: number): number {
  return Math.abs(a - b) / Math.abs(b);
}

/** Checks a tier against InfluxQL over raw, and its quantiles against the exact ones. */
async function checkTier(db: string, rp: string, every: number, t0: number): Promise<number> {
  const range = `time >= ${t0}ms AND time < ${t0 + 2 * HOUR}ms`;
  const unit = every === MIN ? '1m' : '1h';
  const influx = await rows(
    db,
    `SELECT count(v) AS c, sum(v) AS s, min(v) AS lo, max(v) AS hi, mean(v) AS m FROM raw.http WHERE ${range} GROUP BY time(${unit}), host fill(none)`,
  );
  const tier = byKey(await rows(db, `SELECT * FROM ${rp}.http WHERE ${range} GROUP BY host`));
  const raw = await rows(db, `SELECT v FROM raw.http WHERE ${range} GROUP BY host`);
  const values = new Map<string, number[]>();
  for (const r of raw) {
    const key = `${r.host} ${Math.floor((r.time as number) / every) * every}`;
    let list = values.get(key);
    if (list === undefined) values.set(key, (list = []));
    list.push(r.v as number);
  }
  expect(influx).toHaveLength((2 * HOUR * HOSTS.length) / every);
  expect(tier.size).toBe(influx.length);
  for (const want of influx) {
    const key = `${want.host} ${want.time}`;
    const got = tier.get(key);
    expect(got, key).toBeDefined();
    if (got === undefined) continue;
    expect(got.v_count, key).toBe(want.c);
    expect(got.v_min, key).toBe(want.lo);
    expect(got.v_max, key).toBe(want.hi);
    expect(relErr(got.v_sum as number, want.s as number), key).toBeLessThanOrEqual(1e-12);
    expect(relErr(got.v_mean as number, want.m as number), key).toBeLessThanOrEqual(1e-12);
    const sorted = (values.get(key) ?? []).sort((a, b) => a - b);
    expect(sorted.length, key).toBe(want.c);
    for (const [q, field] of QUANTILES) {
      const exact = sorted[Math.floor(q * (sorted.length - 1))];
      expect(relErr(got[field] as number, exact), `${key} ${field}`).toBeLessThanOrEqual(ACCURACY);
    }
  }
  return influx.reduce((n, r) => n + (r.c as number), 0);
}

describe('streaming rollup tiers against InfluxQL', () => {
  it(
    'should make the 1-minute and 1-hour tiers of a two-hour event-time stream equal what InfluxDB computes from the raw data',
    { timeout: 300_000 },
    async () => {
      const db = `viva_rollup_${process.pid}_${Date.now()}`;
      databases.push(db);
      // Two whole hours ending at least an hour ago (inside the raw retention policy's 7 days).
      const t0 = Math.floor(Date.now() / HOUR) * HOUR - 3 * HOUR;
      const dir = tempDir('viva-rollup-');
      const agent = `http_auth_token = "${TOKEN}"`;
      const c = await startCollector(await collectorConfig(dir, config(db), { agent }));
      running.push(c);
      await waitFor(
        () => c.proc.stderr().includes('"database provisioned"'),
        'the retention policies',
        30_000,
      );

      const all = stream(t0);
      const post = async (from: number, to: number): Promise<void> => {
        for (let i = from; i < to; i += 500)
          expect(await postBatch(c.port, all.slice(i, Math.min(to, i + 500)))).toBe(204);
      };
      // A live reload in the middle of the second hour: the rollups save their open windows at stop
      // and the new ones go on filling them (else the hour would restart empty and its next
      // emission would overwrite the part emitted at the reload).
      const part = Math.floor(all.length * 0.7);
      await post(0, part);
      await waitFor(
        async () =>
          counterValue(await scrape(c.admin, TOKEN), 'viva_processor_rollup_windows_emitted_total', {
            alias: 'to_1h',
          }) > 0,
        'the first hour emitted',
        60_000,
      );
      // A changed config (an unchanged one is not reloaded): every destination is rebuilt.
      await collectorConfig(dir, config(db, '6s'), { port: c.port, admin: c.admin, agent });
      const reload = await fetch(`http://127.0.0.1:${c.admin}/admin/reload`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(reload.status).toBe(200);
      await waitFor(() => c.proc.stderr().includes('config reloaded'), 'the reload', 30_000);
      expect(c.proc.stderr()).toContain('rollup state loaded');
      await post(part, all.length);
      const total = all.length - 1;

      const count = async (rp: string, field: string): Promise<number> =>
        Number((await rows(db, `SELECT sum(${field}) FROM ${rp}.http`))[0]?.sum ?? 0);
      await waitFor(
        async () =>
          (await rows(db, 'SELECT count(v) FROM raw.http'))[0]?.count === total &&
          (await count('rollup_1m', 'v_count')) === total &&
          (await count('rollup_1h', 'v_count')) === total,
        'every point in raw and in both tiers',
        120_000,
        500,
      );
      expect(await checkTier(db, 'rollup_1m', MIN, t0)).toBe(total);
      expect(await checkTier(db, 'rollup_1h', HOUR, t0)).toBe(total);
      // The late points did update windows already emitted.
      expect(
        counterValue(await scrape(c.admin, TOKEN), 'viva_processor_rollup_windows_reemitted_total'),
      ).toBeGreaterThan(0);
    },
  );
});
