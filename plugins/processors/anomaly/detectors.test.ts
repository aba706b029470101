import { describe, expect, it } from 'vitest';
import {
  AdaptiveDetector,
  detectSeason,
  EwmaDetector,
  HoltWintersDetector,
  Likelihood,
  RobustDetector,
  type AdaptiveParams,
} from './detectors.ts';
import { Calibrator, erfc, scoreOf } from './score.ts';

describe('EwmaDetector', () => {
  it('should score against the mean and variance learnt before the sample', () => {
    const d = new EwmaDetector({ alpha: 0.5, clip: 100 });
    expect(d.update(10)).toBe(0);
    // No spread yet: the floor is 0.1% of the level, 0.01, so 2 above is 200 spreads.
    expect(d.update(12)).toBeCloseTo(200, 9);
    // mean 10 + 0.5 * 2 = 11, variance 0.5 * (0 + 0.5 * 4) = 1.
    expect(d.update(13)).toBeCloseTo(2, 12);
    expect(d.expected).toBe(11);
    expect(d.mean).toBe(12);
    expect(d.variance).toBeCloseTo(1.5, 12);
  });

  it('should clip an outlier before learning the mean but widen its spread', () => {
    const d = new EwmaDetector({ alpha: 0.5, clip: 1 });
    d.update(10);
    d.update(12);
    // mean 11, variance 1: 111 is 100 spreads above; the mean moves by alpha * 1 (clipped), the variance by the full 100.
    expect(d.update(111)).toBeCloseTo(100, 9);
    expect(d.mean).toBeCloseTo(11.5, 12);
    expect(d.variance).toBeCloseTo(0.5 * (1 + 0.5 * 100 * 100), 9);
  });

  it('should round-trip its state', () => {
    const d = new EwmaDetector({ alpha: 0.1, clip: 4 });
    for (const v of [1, 2, 3, 2, 1]) d.update(v);
    const e = new EwmaDetector({ alpha: 0.1, clip: 4 }, JSON.parse(JSON.stringify(d.save())) as never);
    expect(e.update(5)).toBe(d.update(5));
  });
});

describe('RobustDetector', () => {
  it('should score the distance from the rolling median in MADs', () => {
    const d = new RobustDetector({ window: 4 });
    for (const v of [1, 2, 3, 4]) d.update(v);
    // median 2.5, |deviations| 1.5 0.5 0.5 1.5, MAD 1, spread 1.4826.
    expect(d.update(100)).toBeCloseTo(97.5 / 1.4826, 9);
    expect(d.expected).toBe(2.5);
  });

  it('should forget samples that left the window', () => {
    const d = new RobustDetector({ window: 3 });
    for (const v of [100, 1, 2, 3]) d.update(v);
    // Window now 1 2 3: median 2, MAD 1.
    expect(d.update(2 + 1.4826 * 3)).toBeCloseTo(3, 9);
  });

  it('should fall back to the mean absolute deviation when most of the window is flat', () => {
    const d = new RobustDetector({ window: 5 });
    for (const v of [5, 5, 5, 5, 7]) d.update(v);
    // MAD 0; mean |x - 5| = 0.4, spread 0.4 * 1.2533.
    expect(d.update(6)).toBeCloseTo(1 / (0.4 * 1.2533), 9);
  });
});

describe('HoltWintersDetector', () => {
  it('should learn the first season and then forecast it', () => {
    const d = new HoltWintersDetector({
      period: 4,
      alpha: 0.5,
      beta: 0,
      gamma: 0.5,
      errorAlpha: 0.1,
      clip: 4,
    });
    for (const v of [0, 10, 0, 10]) expect(d.update(v)).toBe(0);
    expect(d.level).toBe(5);
    expect(d.season).toEqual([-5, 5, -5, 5]);
    expect(d.update(0)).toBe(0);
    expect(d.expected).toBe(0);
    d.update(10);
    expect(d.expected).toBe(10);
    // A flat 5 where the season says 0 is a deviation: spread is the 0.1% floor of the level.
    expect(d.update(5)).toBeGreaterThan(100);
  });

  it('should smooth a spike out of the first season', () => {
    const d = new HoltWintersDetector({
      period: 8,
      alpha: 0.5,
      beta: 0,
      gamma: 0.5,
      errorAlpha: 0.1,
      clip: 4,
    });
    for (const v of [1, 1, 1, 50, 1, 1, 1, 1]) d.update(v);
    expect(Math.max(...d.season)).toBeLessThan(1);
  });
});

describe('score', () => {
  it('should compute erfc within a relative error of 1e-6', () => {
    expect(Math.abs(erfc(1) / 0.157299207 - 1)).toBeLessThan(1.2e-6);
    expect(Math.abs(erfc(-1) / 1.842700793 - 1)).toBeLessThan(1.2e-7);
    expect(Math.abs(erfc(4) / 1.54172579e-8 - 1)).toBeLessThan(1.2e-6);
  });

  it('should map deviations to 0..1 on the log tail scale', () => {
    expect(scoreOf(0)).toBe(0);
    expect(scoreOf(3)).toBeCloseTo(0.2569, 3);
    expect(scoreOf(-3)).toBe(scoreOf(3));
    expect(scoreOf(4.4)).toBeCloseTo(0.5, 2);
    expect(scoreOf(6)).toBeCloseTo(0.87, 2);
    expect(scoreOf(50)).toBe(1);
  });
});

describe('Calibrator', () => {
  it('should score a constant deviation as ordinary and a sustained rise as unusual', () => {
    const c = new Calibrator();
    for (let i = 0; i < 2000; i++) c.update(i % 2 === 0 ? 1 : 2);
    expect(Math.abs(c.update(1.5))).toBeLessThan(1);
    let last = 0;
    for (let i = 0; i < 5; i++) last = c.update(6);
    expect(last).toBeGreaterThan(5);
  });
});

/** Deterministic noise in -0.5..0.5. */
function noise(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x / 2147483648 - 0.5;
  };
}

describe('detectSeason', () => {
  it('should find the period of a noisy daily cycle and none in noise, a trend or a flat line', () => {
    const r = noise(7);
    const daily = Array.from({ length: 1000 }, (_, i) => 10 * Math.sin((2 * Math.PI * i) / 288) + r());
    expect(Math.abs(detectSeason(daily, 4, 500) - 288)).toBeLessThanOrEqual(6);
    expect(detectSeason(Array.from({ length: 1000 }, r), 4, 500)).toBe(0);
    expect(
      detectSeason(
        Array.from({ length: 1000 }, (_, i) => i + r()),
        4,
        500,
      ),
    ).toBe(0);
    expect(detectSeason(new Array<number>(1000).fill(3), 4, 500)).toBe(0);
  });
});

describe('Likelihood', () => {
  it('should score a sustained rise of the raw score above its usual level, and nothing below it', () => {
    const l = new Likelihood();
    for (let i = 0; i < 2000; i++) l.update(0.1 + 0.05 * Math.sin(i));
    expect(l.update(0.05)).toBe(0);
    let z = 0;
    for (let i = 0; i < 10; i++) z = l.update(0.9);
    expect(z).toBeGreaterThan(5);
  });
});

describe('AdaptiveDetector', () => {
  const params: AdaptiveParams = {
    seasonWindow: 1000,
    ewma: { alpha: 0.01, clip: 4 },
    hw: { alpha: 0.2, beta: 0.001, gamma: 0.2, errorAlpha: 0.005, clip: 4 },
    rawScore: scoreOf,
  };

  it('should detect the season, forecast it, and score a break in it far above the daily swing', () => {
    const r = noise(3);
    const d = new AdaptiveDetector(params);
    const xs = Array.from({ length: 3005 }, (_, i) => 100 + 20 * Math.sin((2 * Math.PI * i) / 288) + r());
    const at = (i: number): number => xs[i];
    let quiet = 0;
    for (let i = 0; i < 3000; i++) {
      const z = d.update(at(i));
      if (i > 1200) quiet = Math.max(quiet, z);
    }
    expect(Math.abs(d.season - 288)).toBeLessThanOrEqual(6);
    expect(Math.abs(d.expected - at(2999))).toBeLessThan(2);
    // The level a peak would have, but at the trough of the cycle: only a seasonal model sees it.
    let hit = 0;
    for (let i = 3000; i < 3005; i++) hit = Math.max(hit, d.update(at(i) + 15));
    expect(hit).toBeGreaterThan(quiet + 3);
  });

  it('should stay on the EWMA for a series without a season, and resume from a saved state', () => {
    const r = noise(5);
    const d = new AdaptiveDetector(params);
    for (let i = 0; i < 1500; i++) d.update(50 + r());
    expect(d.season).toBe(0);
    const e = new AdaptiveDetector(params, JSON.parse(JSON.stringify(d.save())) as never);
    expect(e.season).toBe(0);
    for (const v of [50, 51, 80, 50]) expect(e.update(v)).toBe(d.update(v));
  });

  it('should resume mid-buffer and mid-season from a saved state', () => {
    const r = noise(9);
    const d = new AdaptiveDetector(params);
    const xs = Array.from({ length: 1500 }, (_, i) => 10 * Math.sin((2 * Math.PI * i) / 50) + r());
    const at = (i: number): number => xs[i];
    for (let i = 0; i < 600; i++) d.update(at(i));
    const e = new AdaptiveDetector(params, JSON.parse(JSON.stringify(d.save())) as never);
    for (let i = 600; i < 1500; i++) expect(e.update(at(i))).toBe(d.update(at(i)));
    // A multiple of the season is a season too (the autocorrelation peaks there as well).
    expect(e.season % 50).toBe(0);
  });
});
