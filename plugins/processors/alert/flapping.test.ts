import { describe, expect, it } from 'vitest';
import { Metric } from '../../../core/model/metric/metric.ts';
import { parseConfig, testContext } from '../../../core/plugin/testing.ts';
import type { Clock, PluginContext } from '../../../core/plugin/types.ts';
import type { AlertProcessor } from './alert.ts';
import { alertProcessor } from './index.ts';

const S = 1000;
let wall = 0;
const clock: Clock = { now: () => wall, monotonic: () => wall };

const flappy = {
  alert: 'HighCpu',
  value: 'fields.usage',
  critical: 90,
  flap_threshold: 3,
  flap_window: '60s',
  repeat_interval: '1h',
};

function create(table: Record<string, unknown>, ctx: PluginContext): AlertProcessor {
  return alertProcessor.create(parseConfig(alertProcessor, { ...flappy, ...table }), ctx) as AlertProcessor;
}

/** Feeds (second, value) samples, the wall clock following them, and lists the alert events. */
function run(p: AlertProcessor, samples: [number, number][]): (string | number)[][] {
  const out: (string | number)[][] = [];
  for (const [t, v] of samples) {
    wall = t * S;
    for (const m of p.process([new Metric('cpu', { host: 'a' }, { usage: v }, t * S)]))
      if (m.name === 'alert') {
        const e: (string | number)[] = [m.timeMs / S, m.fields.status as string, m.tags.severity];
        if (m.fields.ends_at !== undefined) e.push((m.fields.ends_at as number) / S);
        if (m.fields.previous_severity !== undefined) e.push(`was ${m.fields.previous_severity as string}`);
        out.push(e);
      }
  }
  return out;
}

/** Values every 10 s from `from` to `to` (inclusive). */
const steady = (from: number, to: number, v: number): [number, number][] =>
  Array.from({ length: (to - from) / 10 + 1 }, (_, i) => [from + i * 10, v]);

/** Fires and resolves every 10 s: six state changes from 0 to 50. */
const flapping: [number, number][] = [
  [0, 95],
  [10, 50],
  [20, 95],
  [30, 50],
  [40, 95],
  [50, 50],
];

async function suppressed(ctx: PluginContext): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const m of await ctx.selfMetrics())
    if (m.name === 'viva_processor_alert_flap_suppressed') out[m.tags.status] = m.fields.value as number;
  return out;
}

describe('alert processor flapping suppression', () => {
  it('should hold notifications once the state changes exceed flap_threshold, count them, and announce the settled state', async () => {
    const ctx = testContext(alertProcessor, { clock });
    const p = create({}, ctx);
    // Changes 1-3 go out; the 4th (at 30) makes it flap; 40 and 50 are held too. Once at most
    // 1 change (half the threshold) is left in the last 60 s (at 100: only 50), it settles:
    // receivers last heard "firing" (at 20), so the held resolve (at 50) is announced.
    expect(run(p, [...flapping, ...steady(60, 110, 50)])).toEqual([
      [0, 'firing', 'critical'],
      [10, 'resolved', 'critical', 10],
      [20, 'firing', 'critical'],
      [100, 'resolved', 'critical', 50],
    ]);
    expect(await suppressed(ctx)).toEqual({ resolved: 2, firing: 1 });
    await p.stop();
  });

  it('should announce nothing when it settles in the state receivers already know', async () => {
    const ctx = testContext(alertProcessor, { clock });
    const p = create({}, ctx);
    // Settles at 90 (only the change at 40 left in the last 60 s) while firing, as receivers
    // were last told at 20.
    expect(run(p, [...flapping.slice(0, 5), ...steady(50, 100, 95), [110, 50]])).toEqual([
      [0, 'firing', 'critical'],
      [10, 'resolved', 'critical', 10],
      [20, 'firing', 'critical'],
      [110, 'resolved', 'critical', 110],
    ]);
    await p.stop();
  });

  it('should announce a severity change held while flapping, naming the severity it replaces', async () => {
    const ctx = testContext(alertProcessor, { clock });
    const p = create({ warning: 80 }, ctx);
    const samples: [number, number][] = [
      [0, 85],
      [10, 50],
      [20, 85],
      [30, 50],
      [40, 95],
      ...steady(50, 100, 95),
    ];
    expect(run(p, samples)).toEqual([
      [0, 'firing', 'warning'],
      [10, 'resolved', 'warning', 10],
      [20, 'firing', 'warning'],
      [90, 'firing', 'critical', 'was warning'],
    ]);
    await p.stop();
  });

  it('should re-send the firing alert receivers know every repeat_interval while it flaps', async () => {
    const ctx = testContext(alertProcessor, { clock });
    const p = create({ repeat_interval: '25s' }, ctx);
    expect(run(p, [...flapping, ...steady(60, 100, 50)])).toEqual([
      [0, 'firing', 'critical'],
      [10, 'resolved', 'critical', 10],
      [20, 'firing', 'critical'],
      [50, 'firing', 'critical'],
      [80, 'firing', 'critical'],
      [100, 'resolved', 'critical', 50],
    ]);
    await p.stop();
  });

  it('should keep flapping across a restart', async () => {
    const ctx = testContext(alertProcessor, { clock });
    const p = create({}, ctx);
    run(p, flapping);
    await p.stop();
    const q = create({}, ctx);
    // Still flapping: firing again at 60 is held (a fresh processor would announce it).
    expect(run(q, steady(60, 120, 95))).toEqual([]);
    expect(run(q, [[130, 50]])).toEqual([[130, 'resolved', 'critical', 130]]);
    await q.stop();
  });

  it('should reject a settle threshold that is not below the flap threshold', () => {
    expect(
      alertProcessor.config.safeParse({ ...flappy, flap_threshold: 4, flap_settle_threshold: 4 }).success,
    ).toBe(false);
  });
});
