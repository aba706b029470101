import { describe, expect, it } from 'vitest';
import { Metric } from '../../../core/model/metric/metric.ts';
import { parseConfig, runProcessor, testContext } from '../../../core/plugin/testing.ts';
import type { PluginContext } from '../../../core/plugin/types.ts';
import { tagLimitProcessor } from './index.ts';

const req = (user: string, extra: Record<string, string> = {}): Metric =>
  new Metric('http', { host: 'web1', user, ...extra }, { n: 1 }, 0);

async function counter(ctx: PluginContext, name: string): Promise<unknown> {
  return (await ctx.selfMetrics()).find((s) => s.name === `viva_processor_tag_limit_${name}`)?.fields.value;
}

describe('tag_limit processor', () => {
  it('should keep at most limit tags, listed ones first and the rest in key order', async () => {
    const ctx = testContext(tagLimitProcessor);
    const [m] = await runProcessor(
      tagLimitProcessor,
      { limit: 3, keep: ['user'] },
      [new Metric('x', { zone: 'z', user: 'u', app: 'a', host: 'h', dc: 'd' }, { n: 1 }, 0)],
      ctx,
    );
    expect(m.tags).toEqual({ user: 'u', app: 'a', dc: 'd' });
    expect(await counter(ctx, 'tags_removed')).toBe(2);
  });

  it('should leave a metric within the limit untouched', async () => {
    const [m] = await runProcessor(tagLimitProcessor, { limit: 2 }, [
      new Metric('x', { b: '1', a: '2' }, { n: 1 }, 0),
    ]);
    expect(Object.keys(m.tags)).toEqual(['b', 'a']);
  });

  it('should replace values beyond max_values_per_tag with "other" and count them', async () => {
    const ctx = testContext(tagLimitProcessor);
    const out = await runProcessor(
      tagLimitProcessor,
      { max_values_per_tag: 2, value_limit_tags: ['user'] },
      [req('ann'), req('bob'), req('cid'), req('ann'), req('dan')],
      ctx,
    );
    expect(out.map((m) => m.tags.user)).toEqual(['ann', 'bob', 'other', 'ann', 'other']);
    expect(out.every((m) => m.tags.host === 'web1')).toBe(true);
    expect(await counter(ctx, 'values_replaced')).toBe(2);
  });

  it('should drop the metric or just the tag on overflow when configured', async () => {
    const ctx = testContext(tagLimitProcessor);
    const dropped = await runProcessor(
      tagLimitProcessor,
      { max_values_per_tag: 1, overflow: 'drop_metric' },
      [req('ann'), req('bob')],
      ctx,
    );
    expect(dropped.map((m) => m.tags.user)).toEqual(['ann']);
    expect(await counter(ctx, 'metrics_dropped')).toBe(1);
    const untagged = await runProcessor(tagLimitProcessor, { max_values_per_tag: 1, overflow: 'drop_tag' }, [
      req('ann'),
      req('bob'),
    ]);
    expect(untagged.map((m) => m.tags)).toEqual([{ host: 'web1', user: 'ann' }, { host: 'web1' }]);
  });

  it('should make room for new values again after reset_interval', async () => {
    let now = 0;
    const ctx = testContext(tagLimitProcessor, { clock: { now: () => now, monotonic: () => now } });
    const p = await tagLimitProcessor.create(
      parseConfig(tagLimitProcessor, { max_values_per_tag: 1, reset_interval: '1m' }),
      ctx,
    );
    expect((p.process([req('ann'), req('bob')]) as Metric[]).map((m) => m.tags.user)).toEqual([
      'ann',
      'other',
    ]);
    now = 60_000;
    expect((p.process([req('bob'), req('ann')]) as Metric[]).map((m) => m.tags.user)).toEqual([
      'bob',
      'other',
    ]);
  });

  it('should reject a misspelled key and a keep list longer than the limit', () => {
    expect(tagLimitProcessor.config.safeParse({ limt: 3 }).success).toBe(false);
    expect(tagLimitProcessor.config.safeParse({ limit: 1, keep: ['a', 'b'] }).error?.issues[0].message).toBe(
      'keep lists more tags than limit allows',
    );
  });
});
