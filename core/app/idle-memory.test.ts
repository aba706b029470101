import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../test/helpers/viva.ts';
import { IdleMemory, type IdleMemoryEvent } from './idle-memory.ts';

let running: IdleMemory | undefined;

afterEach(async () => {
  await running?.stop();
});

/** Allocates and drops about `mib` MiB of small objects: heap the next GC can give back. */
function churn(mib: number): number {
  let keep: number[][] = [];
  for (let i = 0; i < mib * 64; i++) keep.push(new Array<number>(2048).fill(i));
  const n = keep.length;
  keep = [];
  return n + keep.length;
}

describe('IdleMemory', () => {
  it('should release heap memory after an idle window once the heap has grown', async () => {
    const events: IdleMemoryEvent[] = [];
    running = new IdleMemory({ windowMs: 100, maxUtilization: 0.5, onCollect: (e) => events.push(e) });
    running.start();
    churn(64);
    const e = await waitFor(() => events[0], 'a GC in an idle window', 10_000, 20);
    expect(e.utilization).toBeLessThanOrEqual(0.5);
    expect(e.after).toBeLessThan(e.before);
  });

  it('should not run while the event loop is busy', async () => {
    const events: IdleMemoryEvent[] = [];
    running = new IdleMemory({ windowMs: 100, maxUtilization: 0.5, onCollect: (e) => events.push(e) });
    running.start();
    churn(64);
    // Busy for five windows: each turn of the loop spins 20 ms and yields for a moment.
    const until = performance.now() + 500;
    await new Promise<void>((resolve) => {
      const spin = (): void => {
        const t = performance.now();
        while (performance.now() - t < 20);
        if (performance.now() < until) setImmediate(spin);
        else resolve();
      };
      spin();
    });
    expect(events).toEqual([]);
    // Idle again: now it runs (the test above cannot pass by a GC that never runs at all).
    await waitFor(() => events[0], 'a GC once idle', 10_000, 20);
  });
});
