import { describe, expect, it } from 'vitest';
import {
  AdaptiveDetector,
  ContextualDetector,
  detectSeason,
  EwmaDetector,
  HoltWintersDetector,
  Likelihood,
  regularGrid,
  medianAbsDev,
  RobustDetector,
  samplingStep,
  type AdaptiveParams,
  type ContextualParams,
} from './detectors.ts';
import { Calibrator, erfc, scoreOf } from './score.ts';
import { combine, EnsembleDetector, type EnsembleParams } from './ensemble.ts';
import { anomalyConfig } from './config.ts';
import { makeDetector } from './series.ts';

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

describe('RobustDetector state and MAD', () => {
  it('should find the median absolute deviation of a sorted window as a full sort of the distances does', () => {
    const r = noise(23);
    for (const n of [1, 2, 3, 4, 7, 10, 51, 400]) {
      for (let trial = 0; trial < 20; trial++) {
        // Rounded values, so that ties and distances equal on both sides occur.
        const a = Array.from({ length: n }, () => Math.round(r() * 20)).sort((x, y) => x - y);
        const h = n >>> 1;
        const med = n % 2 === 1 ? a[h] : (a[h - 1] + a[h]) / 2;
        const d = a.map((v) => Math.abs(v - med)).sort((x, y) => x - y);
        const want = n % 2 === 1 ? d[h] : (d[h - 1] + d[h]) / 2;
        expect(medianAbsDev(Float64Array.from(a), n, med)).toBe(want);
      }
    }
  });

  it('should round-trip its state, mid-fill and once the window is full', () => {
    const r = noise(29);
    for (const cut of [50, 700]) {
      const d = new RobustDetector({ window: 400 });
      const xs = Array.from({ length: cut + 300 }, () => r());
      for (let i = 0; i < cut; i++) d.update(xs[i]);
      const e = new RobustDetector({ window: 400 }, JSON.parse(JSON.stringify(d.save())) as never);
      for (let i = cut; i < xs.length; i++) expect(e.update(xs[i])).toBe(d.update(xs[i]));
      expect(e.expected).toBe(d.expected);
    }
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
    timeAware: false,
    likelihoodWarmup: 0,
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

  it('should keep warm-up samples out of its likelihood and flag a modest sustained shift soon after', () => {
    const r = noise(21);
    const d = new AdaptiveDetector({ ...params, likelihoodWarmup: 100 });
    // Samples 0-99, while the models' spreads form, are scored 0 and not learnt as "usual".
    for (let i = 0; i < 100; i++) expect(d.update(50 + r())).toBe(0);
    let quiet = 0;
    for (let i = 100; i < 250; i++) quiet = Math.max(quiet, d.update(50 + r()));
    // A shift of 1 (about 3.5 spreads of this noise) for 20 samples, at sample 250.
    let hit = 0;
    for (let i = 250; i < 270; i++) hit = Math.max(hit, d.update(51 + r()));
    expect(scoreOf(quiet)).toBeLessThan(0.5);
    expect(scoreOf(hit)).toBeGreaterThanOrEqual(0.5);
  });

  describe('on irregular samples (timeAware)', () => {
    // A daily cycle sampled every 5 minutes (288 steps a day) with jitter and missing samples: in
    // every hour the samples of minutes 20-40 are lost, and each time is off by up to a minute.
    const STEP = 300_000;
    const day = (t: number): number => 100 + 20 * Math.sin((2 * Math.PI * t) / (288 * STEP));
    function stream(seed: number, days: number): { t: number[]; x: number[] } {
      const r = noise(seed);
      const t: number[] = [];
      const x: number[] = [];
      for (let k = 0; k < 288 * days; k++) {
        if (k % 12 === 4 || k % 12 === 5 || k % 12 === 6) continue;
        const at = k * STEP + Math.round(((k * 7919) % 100) - 50) * 1200;
        t.push(at);
        x.push(day(at) + r());
      }
      return { t, x };
    }

    it('should find the season in steps of the sampling interval, where counting samples finds another', () => {
      const { t, x } = stream(11, 8);
      const timed = new AdaptiveDetector({ ...params, timeAware: true });
      const counted = new AdaptiveDetector(params);
      for (let i = 0; i < 1200; i++) {
        timed.update(x[i], t[i]);
        counted.update(x[i], t[i]);
      }
      expect(Math.abs(timed.season - 288)).toBeLessThanOrEqual(3);
      // Three samples in twelve are missing: a day is 216 samples, not 288.
      expect(Math.abs(counted.season - 216)).toBeLessThanOrEqual(3);
    });

    it('should keep the season in place across a gap of half a day, where counting samples shifts it', () => {
      // Days 0-6, then nothing for half a day, then days 7.5-10: the same cycle, no anomaly.
      const { t, x } = stream(13, 10);
      // Mean absolute error of the forecast over the day before the gap and the day after it.
      const run = (timeAware: boolean): { before: number; after: number } => {
        const d = new AdaptiveDetector({ ...params, timeAware });
        const gapFrom = 7 * 288 * STEP;
        const gapTo = 7.5 * 288 * STEP;
        const err = { before: 0, after: 0, nb: 0, na: 0 };
        for (let i = 0; i < x.length; i++) {
          if (t[i] >= gapFrom && t[i] < gapTo) continue;
          d.update(x[i], t[i]);
          const e = Math.abs(d.expected - x[i]);
          if (t[i] >= gapFrom - 288 * STEP && t[i] < gapFrom) {
            err.before += e;
            err.nb++;
          } else if (t[i] >= gapTo && t[i] < gapTo + 288 * STEP) {
            err.after += e;
            err.na++;
          }
        }
        return { before: err.before / err.nb, after: err.after / err.na };
      };
      const timed = run(true);
      const counted = run(false);
      // Both forecast the day before the gap to within the noise (+-0.5)...
      expect(timed.before).toBeLessThan(0.5);
      expect(counted.before).toBeLessThan(0.5);
      // ...after it, with times the forecast is the day's again within a few samples; counting
      // samples, the model's day is half a day off and has to be re-learnt (the swing is 40).
      expect(timed.after).toBeLessThan(2 * timed.before);
      expect(counted.after).toBeGreaterThan(4 * timed.after);
    });

    it('should resume its grid from a saved state', () => {
      const { t, x } = stream(17, 6);
      const d = new AdaptiveDetector({ ...params, timeAware: true });
      for (let i = 0; i < 900; i++) d.update(x[i], t[i]);
      const e = new AdaptiveDetector(
        { ...params, timeAware: true },
        JSON.parse(JSON.stringify(d.save())) as never,
      );
      for (let i = 900; i < 1100; i++) expect(e.update(x[i], t[i])).toBe(d.update(x[i], t[i]));
      const f = new AdaptiveDetector(
        { ...params, timeAware: true },
        JSON.parse(JSON.stringify(e.save())) as never,
      );
      for (let i = 1100; i < x.length; i++) expect(f.update(x[i], t[i])).toBe(e.update(x[i], t[i]));
      expect(Math.abs(f.season - 288)).toBeLessThanOrEqual(3);
    });
  });
});

describe('ContextualDetector', () => {
  const params: ContextualParams = { bins: 8, length: 3, slots: 256, likelihoodWarmup: 100 };
  const cycle = [0, 10, 20, 30];
  /** Feeds `count` samples of the repeating `pattern`; the highest deviation after `from` samples. */
  const feed = (d: ContextualDetector, pattern: number[], count: number, from = 0): number => {
    let top = 0;
    for (let i = 0; i < count; i++) {
      const z = d.update(pattern[i % pattern.length]);
      if (i >= from) top = Math.max(top, z);
    }
    return top;
  };

  it('should score a repeated pattern low once learnt, and familiar values in a new order high', () => {
    const d = new ContextualDetector(params);
    // Warm-up samples are scored 0.
    for (let i = 0; i < 100; i++) expect(d.update(cycle[i % 4])).toBe(0);
    expect(scoreOf(feed(d, cycle, 2000, 900))).toBeLessThan(0.1);
    // The same four values, the cycle reversed: every level is familiar, the sequences are not.
    expect(scoreOf(feed(d, [30, 20, 10, 0], 4))).toBeGreaterThanOrEqual(0.5);
  });

  it('should score a level never seen inside the range, and a value beyond it, high', () => {
    const d = new ContextualDetector(params);
    feed(d, cycle, 2100);
    expect(scoreOf(d.update(15))).toBeGreaterThanOrEqual(0.5);
    const e = new ContextualDetector(params);
    feed(e, cycle, 2100);
    // Beyond the range, not merely in its top level (where 30 is).
    expect(scoreOf(e.update(300))).toBeGreaterThanOrEqual(0.5);
  });

  it('should round-trip its state', () => {
    const r = noise(13);
    const d = new ContextualDetector(params);
    const xs = Array.from({ length: 1000 }, (_, i) => 10 * Math.sin(i / 7) + r());
    for (let i = 0; i < 700; i++) d.update(xs[i]);
    const e = new ContextualDetector(params, JSON.parse(JSON.stringify(d.save())) as never);
    for (let i = 700; i < 1000; i++) expect(e.update(xs[i])).toBe(d.update(xs[i]));
    expect(e.expected).toBe(d.expected);
  });

  it('should keep its memory to its slots however many contexts it meets, and forget what it has not met for long', () => {
    const r = noise(17);
    const small = { ...params, slots: 64 };
    const d = new ContextualDetector(small);
    for (let i = 0; i < 1000; i++) d.update(r());
    const size = JSON.stringify(d.save()).length;
    for (let i = 0; i < 50_000; i++) d.update(r());
    const s = d.save();
    expect((s.keys as number[]).length).toBe(64);
    expect(JSON.stringify(s).length).toBeLessThan(size * 1.2);
    // A cycle learnt, then another one for a short or a long while, then the first again: after a
    // long while its contexts have faded and it is new again.
    const [brief, long] = [50, 5000].map((gap) => {
      const e = new ContextualDetector(small);
      feed(e, cycle, 2000);
      feed(e, [0, 20, 10, 30], gap);
      return feed(e, cycle, 20);
    });
    expect(long).toBeGreaterThan(brief + 3);
  });
});

describe('EnsembleDetector', () => {
  const cfg = anomalyConfig.parse({});
  /** An ensemble of ewma (as it is alone: no calibration) and robust (calibrated, as alone). */
  const pair = (how: EnsembleParams['combine']): EnsembleDetector =>
    new EnsembleDetector({
      parts: [
        { name: 'ewma', make: (s) => makeDetector({ ...cfg, detector: 'ewma' }, s), calibrate: false },
        { name: 'robust', make: (s) => makeDetector({ ...cfg, detector: 'robust' }, s), calibrate: true },
      ],
      combine: how,
      warmup: 100,
    });

  it('should combine scores by their mean, their max, or the second highest (at least two agree)', () => {
    expect(combine([0.2, 0.9, 0.5], 'mean')).toBeCloseTo(1.6 / 3, 12);
    expect(combine([0.2, 0.9, 0.5], 'max')).toBe(0.9);
    expect(combine([0.2, 0.9, 0.5], 'vote')).toBe(0.5);
    expect(combine([0.9, 0.9, 0.1], 'vote')).toBe(0.9);
    // With two parts a vote needs both: the lower score.
    expect(combine([0.7, 0.3], 'vote')).toBe(0.3);
  });

  it('should score each part as it scores alone (robust calibrated) and combine those scores', () => {
    const r = noise(31);
    const xs = Array.from(
      { length: 1500 },
      (_, i) => 50 + 5 * Math.sin(i / 30) + r() + (i % 400 === 399 ? 40 : 0),
    );
    for (const how of ['mean', 'max', 'vote'] as const) {
      const ens = pair(how);
      const ewma = makeDetector({ ...cfg, detector: 'ewma' });
      const robust = makeDetector({ ...cfg, detector: 'robust' });
      const calib = new Calibrator();
      let spikes = 0;
      xs.forEach((x, i) => {
        const z = ens.update(x, i);
        const got = ens.score;
        const ze = ewma.update(x, i);
        const zr = robust.update(x, i);
        if (i < 100) {
          // Warm-up: scored 0, and kept out of the calibration.
          expect(got).toBe(0);
          return;
        }
        const zc = Math.max(0, calib.update(zr));
        const parts = [scoreOf(ze), scoreOf(zc)];
        expect([...ens.scores]).toEqual(parts);
        expect(got).toBe(combine(parts, how));
        // The deviation given back is the larger of the parts'.
        expect(Math.abs(z)).toBe(Math.max(Math.abs(ze), zc));
        if (i % 400 === 399 && got >= 0.5) spikes++;
      });
      expect(ens.expected).toBe(ewma.expected);
      // The one-sample jumps of 40 (8 times the swing): the EWMA scores them 1, robust's calibration
      // (an average of 5 deviations) below 0.3, so the mean and the max flag them and a vote does not.
      expect(spikes).toBe(how === 'vote' ? 0 : 3);
    }
  });

  it('should round-trip its state and go on exactly as before', () => {
    const r = noise(37);
    const four = {
      ...cfg,
      detector: 'ensemble' as const,
      ensemble_parts: ['adaptive', 'robust', 'contextual', 'tail'] as const,
    };
    const xs = Array.from({ length: 3000 }, (_, i) => 10 * Math.sin(i / 20) + r());
    // Four parts, then the default (shift sharing the tail part's window).
    for (const [parts, cut] of [
      [four.ensemble_parts, 500],
      [four.ensemble_parts, 1800],
      [['adaptive', 'tail', 'shift'], 700],
      [['tail', 'shift', 'robust'], 1800],
    ] as const) {
      const d = makeDetector({ ...four, ensemble_parts: [...parts] });
      for (let i = 0; i < cut; i++) d.update(xs[i], i * 1000);
      const e = makeDetector(
        { ...four, ensemble_parts: [...parts] },
        JSON.parse(JSON.stringify(d.save())) as never,
      );
      for (let i = cut; i < xs.length; i++) {
        expect(e.update(xs[i], i * 1000)).toBe(d.update(xs[i], i * 1000));
        expect(e.score).toBe(d.score);
      }
      expect(e.expected).toBe(d.expected);
    }
  });

  it('should keep its state to the sum of its parts however long the series', () => {
    const r = noise(41);
    const d = makeDetector({
      ...cfg,
      detector: 'ensemble',
      ensemble_parts: ['adaptive', 'robust', 'contextual', 'tail'],
    });
    for (let i = 0; i < 1200; i++) d.update(r(), i * 1000);
    const size = JSON.stringify(d.save()).length;
    for (let i = 1200; i < 60_000; i++) d.update(r() + (i % 997 === 0 ? 5 : 0), i * 1000);
    expect(JSON.stringify(d.save()).length).toBeLessThan(size * 1.2);
    const parts = ['adaptive', 'robust', 'contextual', 'tail'] as const;
    const alone = parts.map((name) => {
      const p = makeDetector({ ...cfg, detector: name });
      for (let i = 0; i < 1200; i++) p.update(r(), i * 1000);
      return JSON.stringify(p.save()).length;
    });
    expect(size).toBeLessThan(alone.reduce((a, b) => a + b, 0) + 1000);
  });
});

describe('regularGrid and samplingStep', () => {
  it('should give regular samples back unchanged and fill holes linearly', () => {
    expect(samplingStep([0, 10, 20, 30])).toBe(10);
    expect(samplingStep([5, 5, 5])).toBe(0);
    expect([...regularGrid([0, 10, 20, 30], [1, 2, 3, 4], 10, 100).grid]).toEqual([1, 2, 3, 4]);
    // 40, 50 and 60 missing; 29 rounds to 30, 71 to 70.
    const { grid, last } = regularGrid([0, 10, 29, 71, 80], [0, 1, 2, 6, 8], 10, 100);
    expect(last).toBe(8);
    expect([...grid]).toEqual([0, 1, 0, 2, 3, 4, 5, 6, 8].map((v, i) => (i === 2 ? 1.5 : v)));
  });

  it('should keep only the latest points when the span is longer than the grid may be', () => {
    const { grid, last } = regularGrid([0, 10, 1000], [1, 2, 3], 10, 5);
    expect(last).toBe(100);
    expect([...grid]).toHaveLength(5);
    expect(grid[4]).toBe(3);
  });
});
