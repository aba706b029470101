import { afterEach, describe, expect, it } from 'vitest';
import { createParser } from '../../format/registry.ts';
import { testContext } from '../../plugin/testing.ts';
import { ParsePool } from './pool.ts';

const ctx = testContext({ kind: 'input', name: 'parse_pool_test' });
const pools: ParsePool[] = [];
afterEach(async () => {
  for (const p of pools.splice(0)) await p.close();
});

function pool(): ParsePool {
  const p = new ParsePool({ workers: 1, seriesCache: 1000, inline: createParser('influx'), ctx });
  pools.push(p);
  return p;
}

const BODY = Buffer.from('cpu,host=a usage=0.5,n=3i 1700000000000000001\nbad line\nmem free=2u\n');
const OPTIONS = { precision: 'ns' as const, defaultTime: [1_700_000_000_000, 5] as const };

describe('ParsePool', () => {
  it('should give a worker-parsed body the metrics and errors of inline parsing', async () => {
    const p = pool();
    const inline = createParser('influx').parse(BODY, OPTIONS);
    const got = await p.parse(BODY, OPTIONS);
    expect(got.metrics).toEqual(inline.metrics);
    expect(got.errors).toEqual(inline.errors);
    expect(got.errorCount).toBe(1);
    expect(p.stats()).toMatchObject({ offloaded: 1, inline: 0, running: 1 });
  });

  it('should parse inline what a worker held when it throws, and start a new worker for the next body', async () => {
    const p = pool();
    await p.parse(BODY, OPTIONS);
    // The crash request is queued before the body: the worker dies holding it.
    const failed = p.failWorkers('throw');
    const held = p.parse(BODY, OPTIONS);
    expect(held).toBeInstanceOf(Promise);
    const r = await held;
    await failed;
    expect(r.metrics).toHaveLength(2);
    expect(r.errorCount).toBe(1);
    expect(p.stats()).toMatchObject({ offloaded: 1, inline: 1, failures: 1, running: 0 });
    const again = await p.parse(BODY, OPTIONS);
    expect(again.metrics).toHaveLength(2);
    expect(p.stats()).toMatchObject({ offloaded: 2, failures: 1, running: 1 });
  });

  it('should parse inline while its worker holds two bodies', async () => {
    const p = pool();
    const a = p.parse(BODY, OPTIONS);
    const b = p.parse(BODY, OPTIONS);
    const c = p.parse(BODY, OPTIONS);
    expect(a).toBeInstanceOf(Promise);
    expect(b).toBeInstanceOf(Promise);
    expect(c).not.toBeInstanceOf(Promise);
    await Promise.all([a, b]);
    expect(p.stats()).toMatchObject({ offloaded: 2, inline: 1 });
  });

  it('should leave no worker running after close, and parse later bodies inline', async () => {
    const p = pool();
    await p.parse(BODY, OPTIONS);
    await p.close();
    expect(p.stats().running).toBe(0);
    expect(p.parse(BODY, OPTIONS)).not.toBeInstanceOf(Promise);
    expect(p.stats().failures).toBe(0);
  });
});
