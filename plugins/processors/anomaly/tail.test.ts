import { describe, expect, it } from 'vitest';
import { scoreOf } from './score.ts';
import { deviationOf, TailDetector, type TailParams } from './tail.ts';

const base: TailParams = { window: 256, log: false, likelihood: false, likelihoodWarmup: 100 };

/** A repeatable stream of spiky counts: exponential with mean 20, rounded down. */
function counts(seed = 7): () => number {
  let s = seed;
  return () => {
    s = (s * 16807) % 2147483647;
    return Math.floor(-Math.log(s / 2147483647) * 20);
  };
}

describe('deviationOf', () => {
  it('should give the deviation whose score is -log10(p) / 10, as the processor maps it', () => {
    for (const p of [0.9, 0.5, 0.1, 1e-2, 1e-3, 1e-5, 1e-8]) {
      expect(scoreOf(deviationOf(p))).toBeCloseTo(Math.min(1, -Math.log10(p) / 10), 3);
    }
    expect(deviationOf(1)).toBe(0);
    expect(scoreOf(deviationOf(0))).toBe(1);
  });
});

describe('TailDetector', () => {
  it('should score a typical value low and one far beyond the usual spikes high', () => {
    const d = new TailDetector(base);
    const next = counts();
    for (let i = 0; i < 2000; i++) d.update(next());
    expect(scoreOf(d.update(14))).toBeLessThan(0.05);
    // The window's largest values are around 100 (5 times the mean): 100 is not rare, 1000 is.
    expect(scoreOf(d.update(100))).toBeLessThan(0.35);
    expect(scoreOf(d.update(1000))).toBeGreaterThan(0.9);
    expect(d.tailP).toBeLessThan(1e-9);
    expect(d.expected).toBeGreaterThan(10);
    expect(d.expected).toBeLessThan(18);
  });

  it('should score a drop below everything in the window as well (two-sided)', () => {
    const d = new TailDetector(base);
    const next = counts();
    for (let i = 0; i < 1000; i++) d.update(1000 + next());
    expect(scoreOf(d.update(500))).toBeGreaterThan(0.9);
  });

  it('should extrapolate a heavier (power-law) tail on log1p for counts', () => {
    const raw = new TailDetector(base);
    const log = new TailDetector({ ...base, log: true });
    const next = counts();
    for (let i = 0; i < 1000; i++) {
      const v = next();
      raw.update(v);
      log.update(v);
    }
    const zRaw = raw.update(250);
    const zLog = log.update(250);
    expect(zLog).toBeGreaterThan(0);
    expect(zLog).toBeLessThan(zRaw);
  });

  it('should score nothing on a flat series, and the first change high', () => {
    const d = new TailDetector(base);
    const out: number[] = [];
    for (let i = 0; i < 500; i++) out.push(d.update(42));
    expect(out.every((z) => z === 0)).toBe(true);
    expect(scoreOf(d.update(43))).toBe(1);
  });

  it('should stop scoring a step change high once the new level fills part of the window', () => {
    const d = new TailDetector(base);
    const next = counts();
    for (let i = 0; i < 1000; i++) d.update(next());
    expect(scoreOf(d.update(1000 + next()))).toBeGreaterThan(0.9);
    for (let i = 0; i < 29; i++) d.update(1000 + next());
    // After an eighth of the window a typical value of the new level is ordinary.
    expect(scoreOf(d.update(1014))).toBeLessThan(0.1);
    for (let i = 0; i < 256; i++) d.update(1000 + next());
    // After the whole window the old level is gone from it: a return to it is improbable.
    expect(scoreOf(d.update(14))).toBeGreaterThan(0.9);
  });

  it('should score nothing until the window holds ten samples', () => {
    const d = new TailDetector(base);
    const out = [1, 2, 3, 4, 5, 6, 7, 8, 9, 1000].map((v) => d.update(v));
    expect(out.every((z) => z === 0)).toBe(true);
    expect(d.update(1000)).toBeGreaterThan(0);
  });

  it.each([false, true])('should round-trip its state (likelihood %s)', (likelihood) => {
    const p = { ...base, window: 64, likelihood, likelihoodWarmup: 20 };
    const d = new TailDetector(p);
    const next = counts(3);
    for (let i = 0; i < 150; i++) d.update(next());
    const e = new TailDetector(p, JSON.parse(JSON.stringify(d.save())) as never);
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < 200; i++) {
      const v = i === 100 ? 900 : next();
      a.push(d.update(v));
      b.push(e.update(v));
    }
    expect(b).toEqual(a);
    expect(e.n).toBe(d.n);
    expect(Math.max(...a)).toBeGreaterThan(3);
  });

  it('should rank each value among exactly the last window samples, ties included', () => {
    const w = 16;
    const d = new TailDetector({ ...base, window: w });
    const next = counts(9);
    const seen: number[] = [];
    let checked = 0;
    for (let i = 0; i < 3000; i++) {
      // Small counts: most values repeat, and the leaving sample has many equals in the window.
      const v = next() % 6;
      d.update(v);
      const last = seen.slice(-w);
      if (last.length === w && v > Math.min(...last) && v < Math.max(...last)) {
        const above = last.filter((u) => u >= v).length;
        const below = last.filter((u) => u <= v).length;
        expect(d.tailP).toBe(Math.min(1, (2 * Math.min(above + 1, below + 1)) / (w + 1)));
        checked++;
      }
      seen.push(v);
    }
    expect(checked).toBeGreaterThan(1000);
  });

  it('should keep only the newest samples when restored into a smaller window', () => {
    const d = new TailDetector({ ...base, window: 64 });
    for (let i = 0; i < 100; i++) d.update(i);
    const e = new TailDetector({ ...base, window: 16 }, d.save());
    expect(e.save().window).toEqual(Array.from({ length: 16 }, (_, i) => 84 + i));
  });

  it('should keep its state to its window however long the series', () => {
    const d = new TailDetector({ ...base, likelihood: true });
    const next = counts(11);
    const last: number[] = [];
    for (let i = 0; i < 100_000; i++) {
      const v = next() * (1 + (i % 1000));
      d.update(v);
      if (i >= 100_000 - 256) last.push(v);
    }
    const s = d.save();
    // The newest 256 samples, oldest first, after the window has turned over many times.
    expect(s.window).toEqual(last);
    expect(JSON.stringify(s).length).toBeLessThan(8 * 1024);
  });

  it('should report through the likelihood nothing during warm-up and a burst of spikes after it', () => {
    const d = new TailDetector({ ...base, likelihood: true, likelihoodWarmup: 100 });
    const next = counts(5);
    const warm: number[] = [];
    for (let i = 0; i < 100; i++) warm.push(d.update(next()));
    expect(warm.every((z) => z === 0)).toBe(true);
    let calm = 0;
    for (let i = 0; i < 1500; i++) calm = Math.max(calm, d.update(next()));
    let burst = 0;
    for (let i = 0; i < 5; i++) burst = Math.max(burst, d.update(2000 + 500 * i));
    expect(burst).toBeGreaterThan(calm);
    expect(scoreOf(burst)).toBeGreaterThan(0.5);
  });
});
