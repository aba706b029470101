import { describe, expect, it } from 'vitest';
import { scoreOf } from './score.ts';
import { chi2Tail4, ShiftDetector, type ShiftParams } from './shift.ts';
import { TailDetector } from './tail.ts';

const base: ShiftParams = { window: 512, recent: 52, memory: 16, likelihoodWarmup: 100 };

/** A repeatable uniform noise in -0.5..0.5. */
function noise(seed = 11): () => number {
  let s = seed;
  return () => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647 - 0.5;
  };
}

/** A noisy cycle of 100 samples: a sine of amplitude 10 and noise of 2. */
function cycle(seed = 11): (i: number) => number {
  const r = noise(seed);
  return (i) => 50 + 10 * Math.sin((2 * Math.PI * i) / 100) + 2 * r();
}

/** The largest score of `xs[from..]` fed to `d` after `xs[..from]`. */
function peak(d: ShiftDetector, xs: number[], from: number): number {
  let top = 0;
  xs.forEach((x, i) => {
    const s = scoreOf(d.update(x));
    if (i >= from) top = Math.max(top, s);
  });
  return top;
}

describe('chi2Tail4', () => {
  it('should give the chi-squared tail probability with 4 degrees of freedom', () => {
    expect(chi2Tail4(0)).toBe(1);
    expect(chi2Tail4(13.28)).toBeCloseTo(0.01, 4);
    expect(chi2Tail4(7.779)).toBeCloseTo(0.1, 4);
  });
});

describe('ShiftDetector', () => {
  it('should learn a noisy cycle quietly', () => {
    const f = cycle();
    const xs = Array.from({ length: 6000 }, (_, i) => f(i));
    // After its first thousand samples it has seen every phase of the cycle: nothing is new.
    expect(peak(new ShiftDetector(base), xs, 1000)).toBeLessThan(0.2);
  });

  it('should score nothing on a flat series', () => {
    const d = new ShiftDetector(base);
    for (let i = 0; i < 2000; i++) expect(d.update(42)).toBe(0);
  });

  it('should flag a cycle that stops in the middle of its range, which no single value shows', () => {
    const f = cycle();
    const r = noise(5);
    const xs = Array.from({ length: 3000 }, (_, i) => f(i));
    // 150 samples stuck near the middle of the range (50 ± 0.5): every one an ordinary value.
    for (let i = 0; i < 150; i++) xs.push(50 + r());
    const tail = new TailDetector({ window: 512, log: false, likelihood: false, likelihoodWarmup: 0 });
    let tailTop = 0;
    xs.forEach((x, i) => {
      const s = scoreOf(tail.update(x));
      if (i >= 3000) tailTop = Math.max(tailTop, s);
    });
    expect(tailTop).toBeLessThan(0.1);
    expect(peak(new ShiftDetector(base), xs, 3000)).toBeGreaterThan(0.5);
  });

  it('should flag a level shift of half the amplitude of a cycle, then take the new level as usual', () => {
    const f = cycle(13);
    const d = new ShiftDetector(base);
    const before = Array.from({ length: 3000 }, (_, i) => f(i));
    expect(peak(d, before, 1000)).toBeLessThan(0.2);
    // The cycle goes on 5 higher: most values stay inside the range it had.
    const scores = Array.from({ length: 4000 }, (_, i) => scoreOf(d.update(f(3000 + i) + 5)));
    expect(Math.max(...scores.slice(0, 300))).toBeGreaterThan(0.4);
    // Once the new level is the whole history, its windows are familiar again.
    expect(Math.max(...scores.slice(2000))).toBeLessThan(0.2);
  });

  it('should flag a cycle whose amplitude halves', () => {
    const f = cycle(15);
    const r = noise(2);
    const d = new ShiftDetector(base);
    peak(
      d,
      Array.from({ length: 3000 }, (_, i) => f(i)),
      0,
    );
    const after = Array.from({ length: 300 }, (_, i) => 50 + 5 * Math.sin((2 * Math.PI * i) / 100) + 2 * r());
    expect(peak(d, after, 0)).toBeGreaterThan(0.4);
  });

  it('should round-trip its state, alone or sharing the window of a tail detector', () => {
    const f = cycle(17);
    const xs = Array.from({ length: 3000 }, (_, i) => f(i) + (i % 701 === 0 ? 30 : 0));
    const alone = new ShiftDetector(base);
    const tail = new TailDetector({ window: 512, log: false, likelihood: false, likelihoodWarmup: 0 });
    const shared = new ShiftDetector(base, undefined, tail);
    const cut = 1500;
    for (let i = 0; i < cut; i++) {
      tail.update(xs[i]);
      // The shared window gives the same ranks, so the same scores.
      expect(shared.update(xs[i])).toBe(alone.update(xs[i]));
    }
    const back = new ShiftDetector(base, JSON.parse(JSON.stringify(alone.save())) as never);
    const tail2 = new TailDetector(
      { window: 512, log: false, likelihood: false, likelihoodWarmup: 0 },
      JSON.parse(JSON.stringify(tail.save())) as never,
    );
    const shared2 = new ShiftDetector(base, JSON.parse(JSON.stringify(shared.save())) as never, tail2);
    // Sharing, it does not save the window a second time.
    expect(JSON.stringify(shared.save()).length).toBeLessThan(JSON.stringify(alone.save()).length / 3);
    for (let i = cut; i < xs.length; i++) {
      const z = alone.update(xs[i]);
      expect(back.update(xs[i])).toBe(z);
      tail2.update(xs[i]);
      expect(shared2.update(xs[i])).toBe(z);
    }
  });

  it('should keep its state bounded however long the series', () => {
    const r = noise(23);
    const d = new ShiftDetector(base);
    for (let i = 0; i < 2000; i++) d.update(r() * (1 + (i % 300)));
    const size = JSON.stringify(d.save()).length;
    for (let i = 0; i < 50_000; i++) d.update(r() * (1 + (i % 977)) + (i % 5000 === 0 ? 1e6 : 0));
    expect(JSON.stringify(d.save()).length).toBeLessThan(size * 1.2);
  });
});
