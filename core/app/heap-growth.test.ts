import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../test/helpers/viva.ts';
import { HeapGrowth, heapGrowthSetByFlag, type HeapGrowthEvent } from './heap-growth.ts';

let running: HeapGrowth | undefined;

afterEach(() => {
  running?.stop();
  running = undefined;
});

/** A HeapGrowth over a settable buffer count, recording the flags it sets and its changes. */
function watched(execArgv: string[] = []): {
  g: HeapGrowth;
  flags: string[];
  events: HeapGrowthEvent[];
  set: (n: number) => void;
} {
  let buffered = 0;
  const flags: string[] = [];
  const events: HeapGrowthEvent[] = [];
  const g = new HeapGrowth({
    buffered: () => buffered,
    threshold: 1000,
    intervalMs: 10,
    execArgv,
    setFlags: (f) => flags.push(f),
    onChange: (e) => events.push(e),
  });
  running = g;
  return { g, flags, events, set: (n) => (buffered = n) };
}

describe('HeapGrowth', () => {
  it('should cap the growth factor above the threshold and give it back below half of it', () => {
    const w = watched();
    w.set(1000);
    w.g.check();
    expect(w.flags).toEqual([]);
    w.set(1001);
    w.g.check();
    expect(w.flags).toEqual(['--heap-growing-percent=100']);
    expect(w.events).toEqual([{ capped: true, buffered: 1001, percent: 100 }]);
    expect(w.g.capped).toBe(true);

    // Between half the threshold and the threshold it stays as it is: no flapping.
    for (const n of [999, 600, 500, 1200]) {
      w.set(n);
      w.g.check();
    }
    expect(w.events).toHaveLength(1);

    w.set(499);
    w.g.check();
    expect(w.flags).toEqual(['--heap-growing-percent=100', '--heap-growing-percent=0']);
    expect(w.events[1]).toEqual({ capped: false, buffered: 499, percent: 0 });
    expect(w.g.capped).toBe(false);
  });

  it('should look at the buffers on its own once started', async () => {
    const w = watched();
    w.g.start();
    w.set(5000);
    await waitFor(() => w.g.capped, 'the cap');
    w.set(0);
    await waitFor(() => !w.g.capped, 'the cap lifted');
    expect(w.flags).toEqual(['--heap-growing-percent=100', '--heap-growing-percent=0']);
  });

  it('should give V8 its own factor back when stopped while capped', () => {
    const w = watched();
    w.set(5000);
    w.g.check();
    w.g.stop();
    expect(w.flags).toEqual(['--heap-growing-percent=100', '--heap-growing-percent=0']);
    expect(w.g.capped).toBe(false);
  });

  it('should leave a process started with its own --heap-growing-percent alone', () => {
    expect(heapGrowthSetByFlag(['--max-semi-space-size=16', '--heap-growing-percent=50'])).toBe(true);
    expect(heapGrowthSetByFlag(['--heap_growing_percent=50'])).toBe(true);
    expect(heapGrowthSetByFlag(['--no-maglev'])).toBe(false);
    const w = watched(['--heap-growing-percent=50']);
    w.set(5000);
    w.g.check();
    w.g.stop();
    expect(w.flags).toEqual([]);
  });
});
