import { describe, expect, it } from 'vitest';
import { Metric } from '../../../core/model/metric/metric.ts';
import { parseConfig, testContext } from '../../../core/plugin/testing.ts';
import type { PluginContext } from '../../../core/plugin/types.ts';
import { rollupProcessor } from './index.ts';
import type { Rollup } from './rollup.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
/** 2020-01-01T00:00:00Z: years behind the wall clock, so only event time can close windows. */
const T0 = 1_577_836_800_000;

function create(table: Record<string, unknown>, ctx: PluginContext = testContext(rollupProcessor)): Rollup {
  return rollupProcessor.create(parseConfig(rollupProcessor, table), ctx) as Rollup;
}

const lat = (t: number, ms: number, host = 'a'): Metric => new Metric('http', { host }, { ms }, t);

async function counter(ctx: PluginContext, name: string): Promise<number> {
  return (await ctx.selfMetrics())
    .filter((m) => m.name === `viva_processor_rollup_${name}`)
    .reduce((s, m) => s + Number(m.fields.value), 0);
}

/** Deterministic pseudo-random numbers (a linear congruential generator). */
function lcg(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1_103_515_245 + 12_345) % 2 ** 31;
    return x / 2 ** 31;
  };
}

/** The sample at rank floor(q * (n - 1)) of the sorted values: the rank DDSketch answers for. */
function exactQuantile(sorted: number[], q: number): number {
  return sorted[Math.floor(q * (sorted.length - 1))];
}

describe('rollup processor', () => {
  it('should emit a 1-minute window once event time passes its end, with exact count, sum, min, max and mean', () => {
    const p = create({ tiers: ['1m'], grace: '0s', quantiles: [] });
    expect(p.process([lat(T0 + 1000, 10), lat(T0 + 2000, 30), lat(T0 + 59_999, 20)])).toEqual([]);
    const out = p.process([lat(T0 + MIN, 5)]);
    expect(out).toHaveLength(1);
    expect(out[0].name).toBe('http');
    expect(out[0].tags).toEqual({ host: 'a' });
    expect(out[0].timeMs).toBe(T0);
    expect(out[0].fields).toEqual({ ms_count: 3, ms_sum: 60, ms_min: 10, ms_max: 30, ms_mean: 20 });
    // The window still open is emitted at stop.
    expect(p.stop().map((m) => [m.timeMs, m.fields.ms_count])).toEqual([[T0 + MIN, 1]]);
  });

  it('should build the hour by merging its minutes: counts, sums, min and max exact, quantiles within the accuracy', () => {
    const p = create({ tiers: ['1m', '1h'], grace: '0s', quantiles: [0.5, 0.99], relative_accuracy: 0.01 });
    const rnd = lcg(7);
    const values: number[] = [];
    const out: Metric[] = [];
    for (let t = T0; t < T0 + HOUR; t += 500) {
      const v = 1 + rnd() * 1000;
      values.push(v);
      out.push(...p.process([lat(t, v)]));
    }
    expect(out).toEqual([]);
    out.push(...p.process([lat(T0 + HOUR, 1)]));
    expect(out).toHaveLength(1);
    const f = out[0].fields;
    const sorted = [...values].sort((a, b) => a - b);
    expect(f.ms_count).toBe(values.length);
    expect(f.ms_min).toBe(sorted[0]);
    expect(f.ms_max).toBe(sorted.at(-1));
    expect(Math.abs((f.ms_sum as number) / values.reduce((s, v) => s + v, 0) - 1)).toBeLessThan(1e-12);
    for (const [q, k] of [
      [0.5, 'ms_p50'],
      [0.99, 'ms_p99'],
    ] as const) {
      const exact = exactQuantile(sorted, q);
      expect(Math.abs((f[k] as number) - exact) / exact).toBeLessThanOrEqual(0.01);
    }
  });

  it('should update and emit again a window a late metric reaches within the grace, and drop one past it', async () => {
    const ctx = testContext(rollupProcessor);
    const p = create({ tiers: ['1m', '1h'], grace: '5m', quantiles: [] }, ctx);
    p.process([lat(T0, 1), lat(T0 + 30 * MIN, 2)]);
    const first = p.process([lat(T0 + HOUR + MIN, 3)]);
    expect(first.map((m) => [m.timeMs, m.fields.ms_count, m.fields.ms_sum])).toEqual([[T0, 2, 3]]);
    // 1 minute after the hour's end: within its 5-minute grace.
    const again = p.process([lat(T0 + 59 * MIN, 10)]);
    expect(again.map((m) => [m.timeMs, m.fields.ms_count, m.fields.ms_sum, m.fields.ms_max])).toEqual([
      [T0, 3, 13, 10],
    ]);
    expect(await counter(ctx, 'windows_reemitted')).toBe(1);
    // Event time moves past the hour's grace: a metric for it is late.
    p.process([lat(T0 + HOUR + 10 * MIN, 4)]);
    expect(p.process([lat(T0 + 59 * MIN, 100)])).toEqual([]);
    expect(await counter(ctx, 'late_metrics')).toBe(1);
    expect(p.stop().map((m) => [m.timeMs, m.fields.ms_count])).toEqual([[T0 + HOUR, 2]]);
  });

  it('should keep groups apart, pass metrics without numeric fields and refuse tiers that do not divide', () => {
    const p = create({ tiers: ['1m'], grace: '0s', quantiles: [], stats: ['count'] });
    const text = new Metric('log', {}, { msg: 'hello' }, T0);
    expect(p.process([lat(T0, 1, 'a'), lat(T0, 2, 'b'), lat(T0, 3, 'b'), text])).toEqual([text]);
    const out = p.process([lat(T0 + MIN, 0, 'a')]);
    expect(out.map((m) => [m.tags.host, m.fields.ms_count]).sort()).toEqual([
      ['a', 1],
      ['b', 2],
    ]);
    expect(() => parseConfig(rollupProcessor, { tiers: ['1m', '90s'] })).toThrow(/multiple/);
  });

  it('should go on filling the windows open at stop in the next instance (a reload or a restart)', () => {
    const ctx = testContext(rollupProcessor);
    const table = { tiers: ['1m', '1h'], grace: '2m', quantiles: [0.5] };
    const first = create(table, ctx);
    first.process([lat(T0, 1), lat(T0 + 10 * MIN, 3)]);
    // The hour is emitted as it stands, and saved.
    expect(first.stop().map((m) => [m.timeMs, m.fields.ms_count, m.fields.ms_sum])).toEqual([[T0, 2, 4]]);
    const second = create(table, ctx);
    second.process([lat(T0 + 20 * MIN, 5)]);
    const out = second.process([lat(T0 + HOUR, 0)]);
    // The whole hour, not only what came after the restart (which would overwrite the first part).
    expect(out.map((m) => [m.timeMs, m.fields.ms_count, m.fields.ms_sum, m.fields.ms_max])).toEqual([
      [T0, 3, 9, 5],
    ]);
    expect(out[0].fields.ms_p50).toBeCloseTo(3, 1);
    // Other tiers: the saved state does not fit and is not used.
    const other = create({ ...table, tiers: ['1m', '2h'] }, ctx);
    other.process([lat(T0 + 30 * MIN, 7)]);
    expect(other.process([lat(T0 + 2 * HOUR, 0)]).map((m) => m.fields.ms_count)).toEqual([1]);
  });
});
