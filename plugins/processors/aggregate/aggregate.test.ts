import { describe, expect, it } from 'vitest';
import { Metric } from '../../../core/model/metric/metric.ts';
import { parseConfig, testContext } from '../../../core/plugin/testing.ts';
import type { Clock, PluginContext } from '../../../core/plugin/types.ts';
import type { Aggregator } from './aggregate.ts';
import { aggregateProcessor } from './index.ts';

const S = 1000;

/** A clock the test moves by hand. */
function manualClock(at = 0): Clock & { set(ms: number): void } {
  let now = at;
  return { now: () => now, monotonic: () => now, set: (ms) => (now = ms) };
}

function create(
  table: Record<string, unknown>,
  ctx: PluginContext = testContext(aggregateProcessor, { clock: manualClock() }),
) {
  return aggregateProcessor.create(parseConfig(aggregateProcessor, table), ctx) as Aggregator;
}

const cpu = (t: number, usage: number, tags: Record<string, string> = { host: 'a' }) =>
  new Metric('cpu', tags, { usage }, t);

async function counter(ctx: PluginContext, name: string): Promise<number> {
  const all = await ctx.selfMetrics();
  return all
    .filter((m) => m.name === `viva_processor_aggregate_${name}`)
    .reduce((s, m) => s + Number(m.fields.value), 0);
}

/** The test clock stays at 0: time is the newest metric time, as in event time. */
const event = { period: '10s', drop_original: true } as const;

describe('aggregate processor', () => {
  it('should compute every statistic of a tumbling window by hand', () => {
    const p = create({
      ...event,
      stats: ['count', 'sum', 'min', 'max', 'mean', 'stddev', 'first', 'last', 'rate', 'counter_rate'],
    });
    // Values 2, 4, 4, 4, 5, 5, 7, 9 at seconds 1..8: mean 5, sample variance 32/7.
    const values = [2, 4, 4, 4, 5, 5, 7, 9];
    expect(p.process(values.map((v, i) => cpu((i + 1) * S, v)))).toEqual([]);
    const [agg] = p.process([cpu(10 * S, 1)]);
    expect(agg.name).toBe('cpu');
    expect(agg.tags).toEqual({ host: 'a' });
    expect(agg.timeMs).toBe(10 * S);
    expect(agg.fields).toEqual({
      usage_count: 8,
      usage_sum: 40,
      usage_min: 2,
      usage_max: 9,
      usage_mean: 5,
      usage_stddev: expect.closeTo(Math.sqrt(32 / 7), 12),
      usage_first: 2,
      usage_last: 9,
      usage_rate: 4,
      usage_counter_rate: expect.closeTo(1, 12),
    });
    expect(agg.fieldType('usage_count')).toBe('int');
    expect(agg.fieldType('usage_sum')).toBe('float');
  });

  it('should put a metric exactly at the window start into that window and one at the end into the next', () => {
    const p = create({ ...event, stats: ['count', 'sum'] });
    p.process([cpu(0, 1), cpu(10 * S - 1, 2)]);
    const first = p.process([cpu(10 * S, 4)]);
    expect(first.map((m) => [m.timeMs, m.fields])).toEqual([[10 * S, { usage_count: 2, usage_sum: 3 }]]);
    const last = p.stop();
    expect(last.map((m) => [m.timeMs, m.fields])).toEqual([[20 * S, { usage_count: 1, usage_sum: 4 }]]);
  });

  it('should keep a metric one nanosecond before the end inside the window', () => {
    const p = create({ ...event, stats: ['count'] });
    p.process([new Metric('cpu', {}, { usage: 1 }, 10 * S - 1, 999_999)]);
    const out = p.process([cpu(10 * S, 1)]);
    expect(out.map((m) => [m.timeMs, m.fields.usage_count])).toEqual([[10 * S, 1]]);
  });

  it('should feed overlapping hopping windows and emit them oldest first', () => {
    const p = create({ ...event, every: '5s', stats: ['count', 'sum'] });
    // The watermark at 12s already closes the windows ending at 5s and 10s.
    const out = [
      ...p.process([cpu(2 * S, 1), cpu(7 * S, 10), cpu(12 * S, 100)]),
      ...p.process([cpu(30 * S, 0)]),
      ...p.stop(),
    ];
    expect(out.map((m) => [m.timeMs / S, m.fields.usage_count, m.fields.usage_sum])).toEqual([
      [5, 1, 1], // [-5, 5): 2s
      [10, 2, 11], // [0, 10): 2s, 7s
      [15, 2, 110], // [5, 15): 7s, 12s
      [20, 1, 100], // [10, 20): 12s
      [35, 1, 0], // [25, 35) and [30, 40) hold 30s, flushed by stop
      [40, 1, 0],
    ]);
  });

  it('should count a late metric and drop it by default', async () => {
    const ctx = testContext(aggregateProcessor, { clock: manualClock() });
    const p = create({ ...event, stats: ['count'] }, ctx);
    p.process([cpu(1 * S, 1), cpu(11 * S, 1)]);
    expect(p.process([cpu(9 * S, 1)])).toEqual([]);
    expect(await counter(ctx, 'late_metrics')).toBe(1);
  });

  it('should pass a late metric on unchanged when late is "pass"', () => {
    const p = create({ ...event, stats: ['count'], late: 'pass' });
    p.process([cpu(1 * S, 1), cpu(11 * S, 1)]);
    const late = cpu(9 * S, 5);
    expect(p.process([late])).toEqual([late]);
  });

  it('should accept a metric within the grace period and close the window once the watermark passes end + grace', () => {
    const p = create({ ...event, grace: '3s', stats: ['count', 'sum'] });
    expect(p.process([cpu(1 * S, 1), cpu(12 * S, 2), cpu(9 * S, 4)])).toEqual([]);
    expect(p.process([cpu(12.999 * S, 8)])).toEqual([]);
    const out = p.process([cpu(13 * S, 16)]);
    expect(out.map((m) => m.fields)).toEqual([{ usage_count: 2, usage_sum: 5 }]);
  });

  it('should close a window on tick once the time the core gives passes end + grace', () => {
    const p = create({ ...event, grace: '2s', stats: ['count'] });
    expect(p.tickInterval).toBe(1000);
    expect(p.process([cpu(1 * S, 1), cpu(3 * S, 1)], 3 * S)).toEqual([]);
    expect(p.tick(11.9 * S)).toEqual([]);
    expect(p.tick(12 * S).map((m) => [m.timeMs, m.fields.usage_count])).toEqual([[10 * S, 2]]);
    expect(p.tick(30 * S)).toEqual([]);
  });

  it('should close windows by the time the core gives, not by its own clock', () => {
    const clock = manualClock(100 * S);
    const p = create({ ...event, stats: ['count'] }, testContext(aggregateProcessor, { clock }));
    // Event time: the core says 5 s although the wall clock reads 100 s.
    expect(p.process([cpu(1 * S, 1), cpu(5 * S, 1)], 5 * S)).toEqual([]);
    expect(p.process([cpu(11 * S, 1)], 11 * S).map((m) => m.fields.usage_count)).toEqual([2]);
  });

  it('should group by the chosen tags and drop the others', () => {
    const p = create({ ...event, group_by: ['host'], stats: ['sum'] });
    p.process([
      cpu(1 * S, 1, { host: 'a', core: '0' }),
      cpu(2 * S, 2, { host: 'a', core: '1' }),
      cpu(3 * S, 4, { host: 'b', core: '0' }),
      new Metric('mem', { host: 'a' }, { used: 8 }, 4 * S),
    ]);
    const out = p.stop();
    expect(out.map((m) => [m.name, m.tags, m.fields])).toEqual([
      ['cpu', { host: 'a' }, { usage_sum: 3 }],
      ['cpu', { host: 'b' }, { usage_sum: 4 }],
      ['mem', { host: 'a' }, { used_sum: 8 }],
    ]);
  });

  it('should treat tag sets in any key order as one series when grouping by all tags', () => {
    const p = create({ ...event, stats: ['count'] });
    p.process([cpu(1 * S, 1, { a: '1', b: '2' }), cpu(2 * S, 1, { b: '2', a: '1' })]);
    expect(p.stop().map((m) => m.fields.usage_count)).toEqual([2]);
  });

  it('should estimate quantiles within the stated relative accuracy', () => {
    const p = create({ ...event, stats: [], quantiles: [0.5, 0.99, 0.999], relative_accuracy: 0.01 });
    p.process(Array.from({ length: 1000 }, (_, i) => cpu(i, i + 1)));
    const [agg] = p.stop();
    // The exact p50 is 500 or 501 (nearest rank), p99 990, p99.9 999.
    expect(Math.abs((agg.fields.usage_p50 as number) - 500) / 500).toBeLessThanOrEqual(0.011);
    expect(Math.abs((agg.fields.usage_p99 as number) - 990) / 990).toBeLessThanOrEqual(0.011);
    expect(Math.abs((agg.fields.usage_p99_9 as number) - 999) / 999).toBeLessThanOrEqual(0.011);
  });

  it('should keep integer fields integers in sum, min, max, first and last', () => {
    const p = create({ ...event, stats: ['sum', 'min', 'max', 'first', 'last', 'mean'] });
    const a = new Metric('req', {}, {}, 1 * S);
    a.setInt('n', 3);
    const b = new Metric('req', {}, {}, 2 * S);
    b.setInt('n', 4);
    p.process([a, b]);
    const [agg] = p.stop();
    expect(agg.fields).toEqual({ n_sum: 7, n_min: 3, n_max: 4, n_first: 3, n_last: 4, n_mean: 3.5 });
    expect(['n_sum', 'n_min', 'n_max', 'n_first', 'n_last', 'n_mean'].map((k) => agg.fieldType(k))).toEqual([
      'int',
      'int',
      'int',
      'int',
      'int',
      'float',
    ]);
  });

  it('should pass the originals on when drop_original is false', () => {
    const p = create({ ...event, drop_original: false, stats: ['count'] });
    const m = cpu(1 * S, 1);
    expect(p.process([m])).toEqual([m]);
  });

  it('should pass metrics without a selected numeric field on untouched', () => {
    const p = create({ ...event, fields: ['usage'] });
    const m = new Metric('log', {}, { msg: 'hi', other: 1 }, 1 * S);
    expect(p.process([m])).toEqual([m]);
    expect(p.stop()).toEqual([]);
  });

  it('should stamp aggregates with the window start when timestamp is "start"', () => {
    const p = create({ ...event, timestamp: 'start', stats: ['count'] });
    p.process([cpu(12 * S, 1)]);
    expect(p.stop().map((m) => m.timeMs)).toEqual([10 * S]);
  });

  it('should count metrics of groups beyond max_series as overflow and not aggregate them', async () => {
    const ctx = testContext(aggregateProcessor, { clock: manualClock() });
    const p = create({ ...event, max_series: 2, stats: ['count'] }, ctx);
    p.process([
      cpu(1, 1, { host: 'a' }),
      cpu(2, 1, { host: 'b' }),
      cpu(3, 1, { host: 'c' }),
      cpu(4, 1, { host: 'a' }),
    ]);
    expect(p.stop().map((m) => [m.tags.host, m.fields.usage_count])).toEqual([
      ['a', 2],
      ['b', 1],
    ]);
    expect(await counter(ctx, 'overflow_metrics')).toBe(1);
  });

  it('should count only live groups against max_series, forgetting one silent for a whole period', async () => {
    const ctx = testContext(aggregateProcessor, { clock: manualClock() });
    const p = create({ ...event, max_series: 1, stats: ['count'] }, ctx);
    p.process([cpu(1 * S, 1, { host: 'a' })]);
    // a is live (its window [10 s, 20 s) is open) when b arrives: b overflows.
    p.process([cpu(10 * S, 1, { host: 'a' }), cpu(11 * S, 1, { host: 'b' })]);
    expect(await counter(ctx, 'overflow_metrics')).toBe(1);
    // A metric with nothing to aggregate still moves the watermark: at 30 s a has been silent a whole period.
    const out = p.process([new Metric('log', {}, { msg: 'tick' }, 30 * S)]);
    expect(out.map((m) => [m.name, m.tags.host])).toEqual([
      ['log', undefined],
      ['cpu', 'a'],
    ]);
    p.process([cpu(31 * S, 1, { host: 'c' })]);
    expect(p.stop().map((m) => [m.tags.host, m.timeMs])).toEqual([['c', 40 * S]]);
    expect(await counter(ctx, 'overflow_metrics')).toBe(1);
  });

  it('should append a suffix to the aggregate name', () => {
    const p = create({ ...event, name_suffix: '_10s', stats: ['count'] });
    p.process([cpu(1, 1)]);
    expect(p.stop()[0].name).toBe('cpu_10s');
  });

  it('should reject every longer than period', () => {
    expect(aggregateProcessor.config.safeParse({ period: '10s', every: '20s' }).success).toBe(false);
  });
});
