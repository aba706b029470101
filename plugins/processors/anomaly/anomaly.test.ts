import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { Metric } from '../../../core/model/metric/metric.ts';
import { parseConfig, testContext } from '../../../core/plugin/testing.ts';
import type { PluginContext } from '../../../core/plugin/types.ts';
import type { AnomalyProcessor } from './anomaly.ts';
import { anomalyProcessor } from './index.ts';

function create(
  table: Record<string, unknown>,
  ctx: PluginContext = testContext(anomalyProcessor),
): AnomalyProcessor {
  return anomalyProcessor.create(parseConfig(anomalyProcessor, table), ctx) as AnomalyProcessor;
}

/** A steady series around 10 (alternating 9 and 11), then `spike`. */
function series(n: number, tags: Record<string, string> = { host: 'a' }, start = 0): Metric[] {
  return Array.from(
    { length: n },
    (_, i) => new Metric('cpu', tags, { usage: i % 2 === 0 ? 9 : 11 }, (start + i) * 1000),
  );
}

const at = (t: number, usage: number, tags: Record<string, string> = { host: 'a' }) =>
  new Metric('cpu', tags, { usage }, t * 1000);

async function counter(ctx: PluginContext, name: string): Promise<number> {
  const all = await ctx.selfMetrics();
  return all
    .filter((m) => m.name === `viva_processor_anomaly_${name}`)
    .reduce((s, m) => s + Number(m.fields.value), 0);
}

// EWMA with alpha 0.5 over 9, 11, 9, 11...: the mean settles near 10 and the spread near 1.
const S = 1000;
const fast = { detector: 'ewma', ewma_alpha: 0.5, warmup: 10, cooldown: 5 };

describe('anomaly processor', () => {
  const cycleReasons: [string, Record<string, unknown>, RegExp][] = [
    [
      'the default detector (ensemble)',
      {},
      /^ensemble \(mean of adaptive [01]\.\d\d, tail [01]\.\d\d, shift [01]\.\d\d\): [\d.]+ against the expected [\d.]+$/,
    ],
    [
      'adaptive',
      { detector: 'adaptive' },
      /^adaptive \(season of \d+ samples\): [\d.]+ against the expected [\d.]+; recent surprise is \d+\.\d spreads above its usual level for this series$/,
    ],
  ];
  for (const [name, table, reason] of cycleReasons)
    it(`should, with ${name}, learn a daily-like cycle quietly and flag a break in it`, () => {
      const p = create(table);
      let x = 1;
      const noise = (): number => {
        x = (x * 1103515245 + 12345) % 2147483648;
        return x / 2147483648 - 0.5;
      };
      const value = (i: number): number => 100 + 20 * Math.sin((2 * Math.PI * i) / 48) + noise();
      const out = p.process(Array.from({ length: 1500 }, (_, i) => at(i, value(i))));
      expect(out.slice(1100).filter((m) => m.fields.usage_anomaly === true)).toHaveLength(0);
      // 15 above what the cycle has at that point, for 10 samples: one flag (then the cooldown).
      const broken = p.process(Array.from({ length: 10 }, (_, k) => at(1500 + k, value(1500 + k) + 15)));
      const flagged = broken.filter((m) => m.fields.usage_anomaly === true);
      expect(flagged).toHaveLength(1);
      expect(flagged[0].fields.usage_anomaly_reason).toMatch(reason);
    });

  it('should add a score and a flag to every watched field and flag a spike with its reason', () => {
    const p = create(fast);
    const out = p.process([...series(20), at(20, 100)]);
    expect(out).toHaveLength(21);
    const normal = out[19];
    expect(normal.fields.usage_anomaly).toBe(false);
    expect(normal.fields.usage_anomaly_score).toBeLessThan(0.1);
    const spike = out[20];
    expect(spike.fields.usage).toBe(100);
    expect(spike.fields.usage_anomaly).toBe(true);
    expect(spike.fields.usage_anomaly_score).toBe(1);
    expect(spike.fields.usage_anomaly_reason).toMatch(
      /^ewma: 100 is \d+\.\d spreads above the expected 10(\.\d+)?$/,
    );
    expect('usage_anomaly_reason' in normal.fields).toBe(false);
  });

  it("should flag at its detector's own threshold when none is set, and at the configured one when set", () => {
    // A jump to 14.6 scores 0.52 here: above 0.5, below the EWMA's own threshold of 0.55.
    const jump = (table: Record<string, unknown>) => create(table).process([...series(20), at(20, 14.6)])[20];
    const own = jump(fast);
    expect(own.fields.usage_anomaly_score).toBeGreaterThan(0.5);
    expect(own.fields.usage_anomaly_score).toBeLessThan(0.55);
    expect(own.fields.usage_anomaly).toBe(false);
    expect(jump({ ...fast, threshold: 0.5 }).fields.usage_anomaly).toBe(true);
  });

  it('should not flag during warmup', () => {
    const p = create({ ...fast, warmup: 30 });
    const out = p.process([...series(20), at(20, 100)]);
    expect(out[20].fields.usage_anomaly).toBe(false);
    expect(out[20].fields.usage_anomaly_score).toBe(0);
  });

  it('should not flag the same series again within the cooldown but keep scoring', () => {
    const p = create({ ...fast, ewma_alpha: 0.01, cooldown: 3 });
    // Past 100 samples alpha 0.01 applies: each spike of 90 widens the spread only a little.
    const out = p.process([...series(200), ...[200, 201, 202, 203, 204].map((t) => at(t, 100))]);
    expect(out.slice(200).map((m) => m.fields.usage_anomaly)).toEqual([true, false, false, false, true]);
    expect(out.slice(201, 204).every((m) => (m.fields.usage_anomaly_score as number) >= 0.5)).toBe(true);
  });

  it('should emit a separate anomaly event per flag in events mode and leave the metric alone', async () => {
    const ctx = testContext(anomalyProcessor);
    const p = create({ ...fast, mode: 'events' }, ctx);
    const input = [...series(20), at(20, 100)];
    const out = p.process(input);
    expect(out.slice(0, 21)).toEqual(input);
    expect(Object.keys(out[20].fields)).toEqual(['usage']);
    expect(out).toHaveLength(22);
    const e = out[21];
    expect(e.name).toBe('anomaly');
    expect(e.tags).toEqual({ host: 'a', measurement: 'cpu', field: 'usage', detector: 'ewma' });
    expect(e.timeMs).toBe(20_000);
    expect(e.fields).toMatchObject({ score: 1, value: 100, reason: expect.stringMatching(/^ewma: 100 is/) });
    expect(e.fields.expected).toBeCloseTo(10, 0);
    expect(e.fields.deviation).toBeGreaterThan(50);
    expect(await counter(ctx, 'anomalies')).toBe(1);
  });

  it("should emit an ensemble's combined score with each part's score in the reason", () => {
    const p = create({
      ...fast,
      detector: 'ensemble',
      ensemble_parts: ['ewma', 'robust'],
      ensemble_combine: 'max',
      mode: 'events',
      // Robust's calibration is young after 20 samples: only the spike may flag.
      threshold: 0.9,
    });
    const out = p.process([...series(20), at(20, 100)]);
    expect(out).toHaveLength(22);
    const e = out[21];
    expect(e.tags.detector).toBe('ensemble');
    // The EWMA scores the spike 1; the max of the two parts is 1 whatever robust's calibration says.
    expect(e.fields.score).toBe(1);
    expect(e.fields.reason).toMatch(
      /^ensemble \(max of ewma 1\.00, robust [01]\.\d\d\): 100 against the expected 1?\d(\.\d+)?$/,
    );
    expect(e.fields.deviation).toBeGreaterThan(50);
  });

  it('should keep one detector per series and field', () => {
    const p = create(fast);
    const high = series(20, { host: 'b' }).map(
      (m) => new Metric('cpu', m.tags, { usage: (m.fields.usage as number) + 1000 }, m.timeMs),
    );
    const out = p.process([...series(20), ...high, at(20, 10), at(20, 1010, { host: 'b' })]);
    expect(out.slice(-2).map((m) => m.fields.usage_anomaly)).toEqual([false, false]);
  });

  it('should watch only the selected numeric fields', () => {
    const p = create({ ...fast, fields: ['usage'] });
    const [m] = p.process([new Metric('cpu', {}, { usage: 1, idle: 2, state: 'ok' }, 0)]);
    expect(Object.keys(m.fields).sort()).toEqual([
      'idle',
      'state',
      'usage',
      'usage_anomaly',
      'usage_anomaly_score',
    ]);
  });

  it('should score integer fields', () => {
    const p = create(fast);
    const m = new Metric('req', {}, {}, 0);
    m.setInt('n', 5);
    expect(p.process([m])[0].fields.n_anomaly_score).toBe(0);
  });

  it('should pass metrics of series beyond max_series unscored and count them', async () => {
    const ctx = testContext(anomalyProcessor);
    const p = create({ ...fast, max_series: 1 }, ctx);
    const out = p.process([at(0, 1), at(0, 1, { host: 'b' })]);
    expect('usage_anomaly_score' in out[0].fields).toBe(true);
    expect(Object.keys(out[1].fields)).toEqual(['usage']);
    expect(await counter(ctx, 'overflow_metrics')).toBe(1);
  });

  it('should forget a series silent for expire_after on tick and warm it up again', async () => {
    const p = create({ ...fast, expire_after: '1m' });
    expect(p.tickInterval).toBe(30_000);
    p.process(series(20), 19 * S);
    await p.tick(61 * S);
    p.process([at(100, 10)], 100 * S);
    await p.tick(131 * S);
    // Seen 31 s ago: still known, so a spike right now is flagged.
    expect(p.process([at(131, 100)], 131 * S)[0].fields.usage_anomaly).toBe(true);
    await p.tick(251 * S);
    expect(p.process([at(251, 100)], 251 * S)[0].fields.usage_anomaly_score).toBe(0);
  });

  it('should have no timer when series never expire and nothing persists', () => {
    expect(create({ ...fast, expire_after: '0s' }).tickInterval).toBe(0);
    expect(create({ ...fast, expire_after: '0s', persist: true, persist_interval: '5s' }).tickInterval).toBe(
      5000,
    );
  });

  it('should save its state on stop and resume from it on the next start without a new warmup', async () => {
    const ctx = testContext(anomalyProcessor);
    const p = create({ ...fast, persist: true }, ctx);
    p.process(series(20));
    await p.stop();
    expect(fs.existsSync(path.join(ctx.stateDir, 'anomaly-state.json'))).toBe(true);
    const q = create({ ...fast, persist: true }, ctx);
    expect(q.process([at(20, 100)])[0].fields.usage_anomaly).toBe(true);
    const fresh = create({ ...fast, persist: true }, testContext(anomalyProcessor));
    expect(fresh.process([at(20, 100)])[0].fields.usage_anomaly).toBe(false);
  });

  it('should resume the default detector from its saved state and score on exactly as without a restart', async () => {
    const ctx = testContext(anomalyProcessor);
    const value = (i: number): number => 50 + 10 * Math.sin((2 * Math.PI * i) / 40) + ((i * 7) % 3);
    const batch = (from: number, n: number): Metric[] =>
      Array.from({ length: n }, (_, k) => at(from + k, value(from + k)));
    const p = create({ persist: true }, ctx);
    p.process(batch(0, 1100));
    await p.stop();
    const q = create({ persist: true }, ctx);
    const unbroken = create({}, testContext(anomalyProcessor));
    unbroken.process(batch(0, 1100));
    const resumed = q.process(batch(1100, 200)).map((m) => m.fields.usage_anomaly_score);
    const reference = unbroken.process(batch(1100, 200)).map((m) => m.fields.usage_anomaly_score);
    expect(resumed).toEqual(reference);
    expect(resumed.some((v) => (v as number) > 0)).toBe(true);
  });

  it('should save its state on tick every persist_interval while scoring, so a crash without stop keeps it', async () => {
    let mono = 0;
    const clock = { now: () => 0, monotonic: () => mono };
    const ctx = testContext(anomalyProcessor, { clock });
    const file = path.join(ctx.stateDir, 'anomaly-state.json');
    const p = create({ ...fast, persist: true, persist_interval: '100ms', expire_after: '0s' }, ctx);
    expect(p.tickInterval).toBe(100);
    p.process(series(20));
    mono = 99;
    await p.tick(0);
    expect(fs.existsSync(file)).toBe(false);
    mono = 100;
    await p.tick(0);
    expect(fs.existsSync(file)).toBe(true);
    // No stop(): the process "crashed". A new instance resumes without a new warmup.
    const q = create({ ...fast, persist: true }, ctx);
    expect(q.process([at(20, 100)])[0].fields.usage_anomaly).toBe(true);
  });

  it('should ignore saved state from another detector configuration', async () => {
    const ctx = testContext(anomalyProcessor);
    const p = create({ ...fast, persist: true }, ctx);
    p.process(series(20));
    await p.stop();
    const q = create({ ...fast, ewma_alpha: 0.1, persist: true }, ctx);
    expect(q.process([at(20, 100)])[0].fields.usage_anomaly_score).toBe(0);
  });

  it('should ignore saved contextual state from another quantisation', async () => {
    const ctx = testContext(anomalyProcessor);
    const p = create({ detector: 'contextual', warmup: 10, persist: true }, ctx);
    // Past the warmup and the likelihood's first 20 samples, so the saved state can score.
    p.process(series(200));
    await p.stop();
    const same = create({ detector: 'contextual', warmup: 10, persist: true }, ctx);
    expect(same.process([at(200, 100)])[0].fields.usage_anomaly_score).toBeGreaterThan(0);
    const other = create({ detector: 'contextual', warmup: 10, context_bins: 8, persist: true }, ctx);
    expect(other.process([at(200, 100)])[0].fields.usage_anomaly_score).toBe(0);
  });

  it('should ignore saved tail state from another window', async () => {
    const ctx = testContext(anomalyProcessor);
    const p = create({ detector: 'tail', warmup: 10, persist: true }, ctx);
    p.process(series(20));
    await p.stop();
    const same = create({ detector: 'tail', warmup: 10, persist: true }, ctx);
    expect(same.process([at(20, 100)])[0].fields.usage_anomaly_score).toBeGreaterThan(0);
    const other = create({ detector: 'tail', warmup: 10, tail_window: 64, persist: true }, ctx);
    expect(other.process([at(20, 100)])[0].fields.usage_anomaly_score).toBe(0);
  });

  it('should flag with the shift detector a cycle that stops in its range, say why, and resume it from saved state, not from another configuration', async () => {
    let s = 11;
    const r = (): number => {
      s = (s * 16807) % 2147483647;
      return s / 2147483647 - 0.5;
    };
    const xs = Array.from({ length: 3000 }, (_, i) => 50 + 10 * Math.sin((2 * Math.PI * i) / 100) + 2 * r());
    for (let i = 0; i < 150; i++) xs.push(50 + r());
    const ms = (from: number, to: number): Metric[] => xs.slice(from, to).map((v, i) => at(from + i, v));
    const table = { detector: 'shift', threshold: 0.3, persist: true };
    const ctx = testContext(anomalyProcessor);
    const p = create(table, ctx);
    const first = p.process(ms(0, 2000));
    await p.stop();
    const q = create(table, ctx);
    const rest = q.process(ms(2000, 3150));
    const unbroken = create({ detector: 'shift', threshold: 0.3 }).process(ms(0, 3150));
    expect([...first, ...rest].map((m) => m.fields.usage_anomaly_score)).toEqual(
      unbroken.map((m) => m.fields.usage_anomaly_score),
    );
    const flagged = unbroken.flatMap((m, i) => (m.fields.usage_anomaly === true ? [i] : []));
    expect(flagged.filter((i) => i >= 1000 && i < 3000)).toEqual([]);
    expect(flagged.some((i) => i >= 3000)).toBe(true);
    expect(unbroken[flagged.find((i) => i >= 3000)!].fields.usage_anomaly_reason).toMatch(
      /^shift: [\d.]+ \(recent median [\d.]+\); the distribution of this series' last 52 values is unlike any it has had \(chi-squared tail probability [\d.e-]+\); recent surprise is \d+\.\d spreads above its usual level$/,
    );
    const other = create({ ...table, shift_recent: 40 }, ctx);
    expect(other.process(ms(2000, 2001))[0].fields.usage_anomaly_score).toBe(0);
  });

  it('should ignore, with a warning, saved ensemble state from other parts or another tail window', async () => {
    const lines: string[] = [];
    const base = testContext(anomalyProcessor);
    const ctx: PluginContext = {
      ...base,
      log: pino({ level: 'info' }, { write: (s: string) => void lines.push(s) }),
    };
    const ignored = (): number =>
      lines.filter((l) => l.includes('saved under another detector configuration')).length;
    // The ensemble that was the default before tail joined it.
    const before = { ensemble_parts: ['adaptive', 'robust', 'contextual'], warmup: 10, persist: true };
    const p = create(before, ctx);
    p.process(series(200));
    await p.stop();
    const same = create(before, ctx);
    expect(same.process([at(200, 100)])[0].fields.usage_anomaly_score).toBeGreaterThan(0);
    expect(ignored()).toBe(0);
    const now = create({ warmup: 10, persist: true }, ctx);
    expect(now.process([at(200, 100)])[0].fields.usage_anomaly_score).toBe(0);
    expect(ignored()).toBe(1);
    // The default ensemble saves its own state; one with another tail window ignores it.
    const q = create({ warmup: 10, persist: true }, ctx);
    q.process(series(200));
    await q.stop();
    expect(ignored()).toBe(2);
    const again = create({ warmup: 10, persist: true }, ctx);
    expect(again.process([at(200, 100)])[0].fields.usage_anomaly_score).toBeGreaterThan(0);
    const otherWindow = create({ warmup: 10, tail_window: 64, persist: true }, ctx);
    expect(otherWindow.process([at(200, 100)])[0].fields.usage_anomaly_score).toBe(0);
    expect(ignored()).toBe(3);
  });

  it.each(['robust', 'holt_winters'] as const)('should flag a spike with the %s detector', (detector) => {
    const p = create({ detector, warmup: 10, robust_window: 20, season: 4, calibrate: 'off' });
    const out = p.process([...series(40), at(40, 100)]);
    expect(out[40].fields.usage_anomaly).toBe(true);
    expect(out[40].fields.usage_anomaly_reason).toMatch(new RegExp(`^${detector}: 100 is`));
    expect(out.slice(20, 40).some((m) => m.fields.usage_anomaly === true)).toBe(false);
  });

  it('should flag a spike in a learnt alternation with the contextual detector, say why, and resume it from saved state', async () => {
    const ctx = testContext(anomalyProcessor);
    const p = create({ detector: 'contextual', persist: true }, ctx);
    const out = p.process(series(300));
    expect(out.slice(100).some((m) => m.fields.usage_anomaly === true)).toBe(false);
    await p.stop();
    const q = create({ detector: 'contextual', persist: true }, ctx);
    const unbroken = create({ detector: 'contextual' });
    unbroken.process(series(300));
    const next = (): Metric[] => [...series(20, { host: 'a' }, 300), at(320, 100)];
    const resumed = q.process(next());
    const reference = unbroken.process(next());
    expect(resumed.map((m) => m.fields.usage_anomaly_score)).toEqual(
      reference.map((m) => m.fields.usage_anomaly_score),
    );
    expect(resumed[20].fields.usage_anomaly).toBe(true);
    expect(resumed[20].fields.usage_anomaly_reason).toMatch(
      /^contextual: 100 \(recent mean [\d.]+\) in a sequence of levels new to this series; recent novelty is \d+\.\d spreads above its usual level$/,
    );
  });

  it("should flag a spike far beyond a spiky series' usual bursts with the tail detector, say why, and resume it from saved state", async () => {
    const ctx = testContext(anomalyProcessor);
    // Mostly 2-8 with a burst to 40 every 25 samples: the bursts are the series' own tail.
    const value = (i: number): number => (i % 25 === 0 ? 40 : 2 + ((i * 7) % 7));
    const batch = (from: number, n: number): Metric[] =>
      Array.from({ length: n }, (_, k) => at(from + k, value(from + k)));
    const p = create({ detector: 'tail', persist: true }, ctx);
    const out = p.process(batch(0, 600));
    expect(out.slice(100).some((m) => m.fields.usage_anomaly === true)).toBe(false);
    await p.stop();
    const q = create({ detector: 'tail', persist: true }, ctx);
    const unbroken = create({ detector: 'tail' });
    unbroken.process(batch(0, 600));
    const next = (): Metric[] => [...batch(600, 20), at(620, 400)];
    const resumed = q.process(next());
    expect(resumed.map((m) => m.fields.usage_anomaly_score)).toEqual(
      unbroken.process(next()).map((m) => m.fields.usage_anomaly_score),
    );
    expect(resumed.slice(0, 20).some((m) => m.fields.usage_anomaly === true)).toBe(false);
    expect(resumed[20].fields.usage_anomaly).toBe(true);
    expect(resumed[20].fields.usage_anomaly_reason).toMatch(
      /^tail: 400 against a median of [\d.]+ in this series' recent samples, a two-sided tail probability of [\d.e-]+ under their distribution$/,
    );
  });
  it.each(['ensemble', 'adaptive', 'robust', 'contextual'] as const)(
    'should not flag a new series right after warmup with the %s detector',
    (detector) => {
      // The likelihood and the calibration know one or two samples then: nothing must look unusual.
      let x = 3;
      const noise = (): number => {
        x = (x * 1103515245 + 12345) % 2147483648;
        return x / 2147483648 - 0.5;
      };
      const p = create({ detector });
      const out = p.process(
        Array.from({ length: 300 }, (_, i) => at(i, 100 + 20 * Math.sin(i / 8) + noise())),
      );
      expect(out.filter((m) => m.fields.usage_anomaly === true)).toHaveLength(0);
    },
  );

  it('should calibrate robust scores by default and say so in the reason', () => {
    const p = create({ detector: 'robust', warmup: 30, robust_window: 20 });
    const out = p.process([...series(200), at(200, 100)]);
    expect(out[200].fields.usage_anomaly).toBe(true);
    expect(out[200].fields.usage_anomaly_reason).toMatch(/unusual for this series/);
  });
});
