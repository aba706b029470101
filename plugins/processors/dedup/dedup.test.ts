import { describe, expect, it } from 'vitest';
import { Metric } from '../../../core/model/metric/metric.ts';
import { parseConfig, testContext } from '../../../core/plugin/testing.ts';
import type { PluginContext, ProcessorInstance } from '../../../core/plugin/types.ts';
import { dedupProcessor } from './index.ts';

const m = (host: string, value: number): Metric => new Metric('cpu', { host }, { value }, 0);

/** A dedup instance on a clock the test moves by hand. */
async function setup(
  table: Record<string, unknown>,
): Promise<{ p: ProcessorInstance; ctx: PluginContext; advance: (ms: number) => void }> {
  let now = 1_000_000;
  const ctx = testContext(dedupProcessor, { clock: { now: () => now, monotonic: () => now } });
  const p = await dedupProcessor.create(parseConfig(dedupProcessor, table), ctx);
  return { p, ctx, advance: (ms) => (now += ms) };
}

const run = async (p: ProcessorInstance, batch: Metric[]): Promise<string[]> =>
  (await p.process(batch)).map((x) => `${x.tags.host}=${String(x.fields.value)}`);

describe('dedup processor', () => {
  it('should suppress a repeat of unchanged fields in the same series, also within one batch', async () => {
    const { p } = await setup({ dedup_interval: '10s' });
    expect(await run(p, [m('a', 1), m('b', 1), m('a', 1)])).toEqual(['a=1', 'b=1']);
    expect(await run(p, [m('a', 1), m('b', 2)])).toEqual(['b=2']);
  });

  it('should pass a metric whose value or integer type changed, or that gained a field', async () => {
    const { p } = await setup({ dedup_interval: '10s' });
    await run(p, [m('a', 1)]);
    const asInt = m('a', 1);
    asInt.setInt('value', 1);
    const extra = m('a', 1);
    extra.setField('other', 5);
    expect((await p.process([asInt])).length).toBe(1);
    expect((await p.process([extra])).length).toBe(1);
  });

  it('should treat a metric carrying a subset of the last fields, unchanged, as a repeat', async () => {
    const { p } = await setup({ dedup_interval: '10s' });
    const both = m('a', 1);
    both.setField('other', 5);
    await p.process([both]);
    expect(await run(p, [m('a', 1)])).toEqual([]);
  });

  it('should pass an unchanged metric again once the interval has passed', async () => {
    const { p, advance } = await setup({ dedup_interval: '10s' });
    await run(p, [m('a', 1)]);
    advance(9_999);
    expect(await run(p, [m('a', 1)])).toEqual([]);
    advance(1);
    expect(await run(p, [m('a', 1)])).toEqual(['a=1']);
  });

  it('should forget the least recently passed series beyond max_series and count it', async () => {
    const { p, ctx } = await setup({ dedup_interval: '1h', max_series: 2 });
    await run(p, [m('a', 1), m('b', 1), m('c', 1)]);
    expect(await run(p, [m('b', 1), m('c', 1), m('a', 1)])).toEqual(['a=1']);
    const evicted = (await ctx.selfMetrics()).find((s) => s.name === 'viva_processor_dedup_series_evicted');
    expect(evicted?.fields.value).toBe(2);
  });

  it('should purge expired series so memory follows the live set', async () => {
    const { p, advance } = await setup({ dedup_interval: '10s' });
    await run(p, [m('a', 1), m('b', 1)]);
    advance(10_000);
    await run(p, [m('c', 1)]);
    expect((p as unknown as { size: number }).size).toBe(1);
  });

  it('should reject a misspelled key and a malformed interval', () => {
    expect(dedupProcessor.config.safeParse({ dedup_intervall: '10s' }).success).toBe(false);
    expect(dedupProcessor.config.safeParse({ dedup_interval: '10 parsecs' }).success).toBe(false);
  });
});
