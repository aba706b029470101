import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../test/helpers/viva.ts';
import { PromotionGc, type PromotionGcEvent, type PromotionGcOptions } from './promotion-gc.ts';

const MiB = 1024 * 1024;
let running: PromotionGc | undefined;

afterEach(async () => {
  await running?.stop();
  running = undefined;
});

/**
 * A PromotionGc whose old generation is `old.bytes`, looked at every 5 ms; counts its looks. No
 * time budget unless a test gives one, so each rule is seen on its own.
 */
function fake(opts: PromotionGcOptions = {}): {
  old: { bytes: number; looks: number };
  events: PromotionGcEvent[];
  flags: string[];
} {
  const old = { bytes: 10 * MiB, looks: 0 };
  const events: PromotionGcEvent[] = [];
  const flags: string[] = [];
  running = new PromotionGc({
    intervalMs: 5,
    oldBytes: () => {
      old.looks++;
      return old.bytes;
    },
    onCollect: (e) => events.push(e),
    setFlags: (f) => flags.push(f),
    execArgv: [],
    budget: 0,
    ...opts,
  });
  running.start();
  return { old, events, flags };
}

/** Waits until the GC has looked at the old generation `n` more times. */
async function looks(old: { looks: number }, n: number): Promise<void> {
  const until = old.looks + n;
  await waitFor(() => old.looks >= until || undefined, `${n} looks at the heap`, 10_000, 5);
}

describe('PromotionGc', () => {
  it('should run a full GC once the old generation has grown by a step, not before', async () => {
    const { old, events, flags } = fake();
    old.bytes = 17 * MiB;
    await looks(old, 10);
    expect(events).toEqual([]);
    old.bytes = 18 * MiB;
    const e = await waitFor(() => events[0], 'a GC at 8 MiB of growth', 10_000, 5);
    expect(e.before).toBe(18 * MiB);
    // The GC ran with V8's growth factor at 2, and V8's own factor was given back after it.
    expect(flags).toEqual(['--heap-growing-percent=100', '--heap-growing-percent=0']);
    // The next step counts from what the GC left: 18 MiB here (the fake heap does not shrink).
    old.bytes = 25 * MiB;
    await looks(old, 10);
    expect(events).toHaveLength(1);
  });

  it('should grow the step with the heap: a quarter of the old generation after the last GC', async () => {
    const { old, events } = fake();
    old.bytes = 80 * MiB;
    await waitFor(() => events[0], 'a first GC', 10_000, 5);
    // From 80 MiB the step is 20 MiB, not 8.
    old.bytes = 99 * MiB;
    await looks(old, 10);
    expect(events).toHaveLength(1);
    old.bytes = 100 * MiB;
    await waitFor(() => events[1], 'a second GC at a quarter more', 10_000, 5);
  });

  it('should keep its GCs within the time budget', async () => {
    // A budget this large leaves no room for a second GC while the test runs...
    const { old, events } = fake({ budget: 1e9 });
    old.bytes = 20 * MiB;
    await waitFor(() => events[0], 'a first GC', 10_000, 5);
    old.bytes = 40 * MiB;
    await looks(old, 20);
    expect(events).toHaveLength(1);
    await running?.stop();
    // ...and with none, the same growth makes a second one at once.
    const again = fake({ budget: 0 });
    again.old.bytes = 20 * MiB;
    await waitFor(() => again.events[0], 'a first GC', 10_000, 5);
    again.old.bytes = 40 * MiB;
    await waitFor(() => again.events[1], 'a second GC', 10_000, 5);
  });

  it('should leave a large heap to V8, and count a full GC of V8 as the last one', async () => {
    const { old, events } = fake({ maxLiveBytes: 50 * MiB });
    old.bytes = 60 * MiB;
    const first = await waitFor(() => events[0], 'a GC from 10 MiB', 10_000, 5);
    expect(first.after).toBe(60 * MiB);
    // Above the limit after its GC: no more, whatever the growth.
    old.bytes = 200 * MiB;
    await looks(old, 10);
    expect(events).toHaveLength(1);
    // V8's own full GC brought it down to 40 MiB: steps (a quarter: 10 MiB) count from there.
    old.bytes = 40 * MiB;
    await looks(old, 3);
    old.bytes = 49 * MiB;
    await looks(old, 10);
    expect(events).toHaveLength(1);
    old.bytes = 50 * MiB;
    await waitFor(() => events[1], 'a GC a step above where V8 left it', 10_000, 5);
  });

  it('should give back the growth factor that another part of the process set', async () => {
    const { old, events, flags } = fake({ growingPercent: () => 100 });
    old.bytes = 20 * MiB;
    await waitFor(() => events[0], 'a GC', 10_000, 5);
    expect(flags).toEqual(['--heap-growing-percent=100', '--heap-growing-percent=100']);
  });

  it('should leave the growth factor of a process started with its own alone', async () => {
    const { old, events, flags } = fake({ execArgv: ['--heap-growing-percent=50'] });
    old.bytes = 20 * MiB;
    await waitFor(() => events[0], 'a GC', 10_000, 5);
    expect(flags).toEqual([]);
  });
});
