import { describe, expect, it } from 'vitest';
import { gatherOnce, parseConfig, testContext, TestAccumulator } from '../../../core/plugin/testing.ts';
import { generatorInput } from './index.ts';

describe('generator input', () => {
  it('should emit one metric per series per gather with unique increasing seq', async () => {
    const acc = await gatherOnce(generatorInput, { series: 3, tag_count: 1, field_count: 2 });
    expect(acc.metrics).toHaveLength(3);
    expect(acc.metrics.map((m) => m.tags.series)).toEqual(['s0', 's1', 's2']);
    expect(acc.metrics.map((m) => m.fields.seq)).toEqual([0, 1, 2]);
    expect(acc.metrics[0].fieldType('seq')).toBe('int');
    expect(Object.keys(acc.metrics[0].fields).sort()).toEqual(['seq', 'value0', 'value1']);
    expect(Object.keys(acc.metrics[0].tags).sort()).toEqual(['series', 'tag0']);
  });

  it('should raise every Nth sample of each series with anomaly_every', async () => {
    const ctx = testContext(generatorInput);
    const g = await generatorInput.create(
      parseConfig(generatorInput, { series: 2, tag_count: 0, field_count: 1, anomaly_every: 5 }),
      ctx,
    );
    const all = new TestAccumulator();
    for (let i = 0; i < 10; i++) await g.gather?.(all);
    const high = all.metrics.filter((m) => (m.fields.value0 as number) > 100);
    // Samples 4 and 9 of each series: 4 of the 20.
    expect(high.map((m) => `${m.tags.series}@${m.fields.seq}`)).toEqual(['s0@8', 's1@9', 's0@18', 's1@19']);
  });

  it('should produce at the set rate and stop at total', async () => {
    const abort = new AbortController();
    const ctx = testContext(generatorInput, { signal: abort.signal });
    const g = await generatorInput.create(
      parseConfig(generatorInput, { rate: 2000, total: 500, batch_size: 50 }),
      ctx,
    );
    const acc = new TestAccumulator();
    const start = performance.now();
    await g.start?.(acc);
    await acc.waitFor(500);
    const elapsed = performance.now() - start;
    await new Promise((r) => setTimeout(r, 50));
    abort.abort();
    await g.stop?.();
    expect(acc.metrics).toHaveLength(500);
    expect(elapsed).toBeGreaterThan(150);
    expect(new Set(acc.metrics.map((m) => m.fields.seq)).size).toBe(500);
    expect(Math.max(...acc.batches.map((b) => b.length))).toBeLessThanOrEqual(50);
  });

  it('should stop producing while the pipeline pushes back and resume after', async () => {
    const abort = new AbortController();
    const g = await generatorInput.create(
      parseConfig(generatorInput, { rate: 5000, batch_size: 100 }),
      testContext(generatorInput, { signal: abort.signal }),
    );
    const acc = new TestAccumulator();
    acc.saturated = true;
    await g.start?.(acc);
    await new Promise((r) => setTimeout(r, 100));
    const whileSaturated = acc.metrics.length;
    await new Promise((r) => setTimeout(r, 100));
    expect(acc.metrics.length).toBe(whileSaturated);
    acc.release();
    await acc.waitFor(whileSaturated + 100);
    abort.abort();
    await g.stop?.();
  });
});
