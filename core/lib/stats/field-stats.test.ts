import { DDSketch } from '@datadog/sketches-js';
import { describe, expect, it } from 'vitest';
import { Metric } from '../../model/metric/metric.ts';
import { FieldStats, type StatPlan } from './field-stats.ts';

const plan: StatPlan = {
  stats: new Set(['count', 'sum', 'min', 'max', 'mean', 'stddev', 'first', 'last']),
  quantiles: [
    { q: 0.1, suffix: '_p10' },
    { q: 0.5, suffix: '_p50' },
    { q: 0.9, suffix: '_p90' },
  ],
  relativeAccuracy: 0.01,
  periodSeconds: 60,
};

function fields(fs: FieldStats): Metric['fields'] {
  const m = new Metric('m', {}, {}, 0);
  fs.write(m, 'v', plan);
  return m.fields;
}

describe('FieldStats.merge', () => {
  it('should give what one FieldStats over all the values gives, negative values and zeros included', () => {
    const values = Array.from({ length: 300 }, (_, i) => ((i * 37) % 101) - 50 + (i % 3 === 0 ? 0.25 : 0));
    const all = new FieldStats(0.01);
    const parts = [new FieldStats(0.01), new FieldStats(0.01), new FieldStats(0.01)];
    values.forEach((v, i) => {
      all.add(v, i, null);
      parts[Math.floor(i / 100)].add(v, i, null);
    });
    const merged = new FieldStats(0.01);
    for (const p of parts) merged.merge(p);
    const a = fields(all);
    const b = fields(merged);
    for (const k of ['v_count', 'v_min', 'v_max', 'v_first', 'v_last', 'v_p10', 'v_p50', 'v_p90'])
      expect(b[k], k).toBe(a[k]);
    for (const k of ['v_sum', 'v_mean', 'v_stddev'])
      expect(Math.abs((b[k] as number) - (a[k] as number)), k).toBeLessThan(1e-9);
  });

  it('should leave the merged-from statistics unchanged (copy)', () => {
    const a = new FieldStats(0.01);
    a.add(-5, 0, null);
    a.add(7, 1, null);
    const before = fields(a);
    const c = a.copy();
    c.merge(a);
    expect(fields(a)).toEqual(before);
    expect(fields(c).v_count).toBe(4);
  });

  it('should work around sketches-js merge() dropping negative values (the library as it is)', () => {
    const x = new DDSketch();
    const y = new DDSketch();
    x.accept(1);
    y.accept(-1);
    y.accept(-2);
    x.merge(y);
    // The library's own merge lost y's negative values: its count says 3, its store holds one.
    expect(x.count).toBe(3);
    expect(x.negativeStore.count).toBe(0);
  });
});
