/**
 * The tail detector: how improbable a value is under the series' own recent empirical
 * distribution, with no Gaussian assumed. Spiky count series (mostly small values, a heavy right
 * tail) are where a mean and a spread mislead: the spread grows with every spike and the ordinary
 * bursts still stand several spreads out.
 */
import { Likelihood, type Detector, type DetectorState } from './detectors.ts';

/** Parameters of the tail detector. */
export interface TailParams {
  /** Recent samples the distribution is made of (a sliding window). */
  window: number;
  /** Extrapolate beyond the window's extremes on sign(x)·log1p(|x|) (a power-law tail, for counts) instead of on x. */
  log: boolean;
  /** Pass the tail score through the anomaly likelihood (as `adaptive` does) instead of reporting it directly. */
  likelihood: boolean;
  /** Samples kept out of the likelihood while the window fills (the processor's warmup). */
  likelihoodWarmup: number;
}

/** Samples in the window before anything is scored. */
const MIN_SAMPLES = 10;
/** Share of the window whose excess over its edge gives the scale of the extrapolated tail. */
const TAIL_SHARE = 0.05;
/** Largest deviation reported (a tail probability of about 1e-300). */
const MAX_DEVIATION = 37;

/**
 * The deviation in spreads whose two-sided Gaussian tail probability is `p` (the inverse of the
 * processor's mapping, so the score comes out as min(1, -log10(p) / 10)): the rational
 * approximation of the normal quantile in Abramowitz and Stegun (26.2.23, absolute error under
 * 4.5e-4 spreads), cheap enough for every sample.
 */
export function deviationOf(p: number): number {
  if (!(p < 1)) return 0;
  if (!(p > 1e-300)) return MAX_DEVIATION;
  const t = Math.sqrt(-2 * Math.log(p / 2));
  const z =
    t - (2.515517 + t * (0.802853 + t * 0.010328)) / (1 + t * (1.432788 + t * (0.189269 + t * 0.001308)));
  return z < 0 ? 0 : z > MAX_DEVIATION ? MAX_DEVIATION : z;
}

/** Index of the first of `a[0..n)` (sorted) that is >= x. */
function lowerBound(a: Float64Array, n: number, x: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the first of `a[0..n)` (sorted) that is > x. */
function upperBound(a: Float64Array, n: number, x: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Tail detector. The last `window` samples are kept twice: sorted (to rank a new one with two
 * binary searches) and in order of arrival (to know which value leaves). A sample's upper tail
 * probability is the share of the window at or above it, (count + 1) / (size + 1), and its lower
 * one likewise; the sample scores the two-sided probability 2·min(upper, lower), so a typical
 * value scores 0 and one beyond everything in the window at most 2 / (size + 1). Beyond the
 * window's largest (or smallest) value the tail is extrapolated as exponential, with the scale of
 * the mean excess of the window's top (bottom) 5% over their edge (on log1p for counts: a
 * power-law tail): a value twice as far out as the usual spikes is improbable, one just past the
 * largest is not. The rank does not depend on the values' scale or sign; a flat window makes any
 * change improbable (the scale has a small floor relative to the level) and nothing else. A step
 * change stops scoring high once the new level fills a few percent of the window, and the old
 * level has left it after `window` samples. The deviation reported is the Gaussian one of the same
 * two-sided probability (or, with `likelihood`, how far the recent tail scores are above their
 * usual level, as in `adaptive`).
 *
 * State: 16 bytes per sample of the window (8 KB at 512) and a few numbers; a sample costs three
 * binary searches and one shift of the sorted samples between the leaving and the arriving one.
 */
export class TailDetector implements Detector {
  n = 0;
  expected = 0;
  /** Two-sided tail probability of the last sample (1 while the window fills). */
  tailP = 1;
  /**
   * The last sample's rank in the window before it joined (the mean of the number of samples
   * below it and of those at or below it), and the window's size then; -1 while the window fills.
   */
  lastRank = -1;
  lastSize = 0;
  private readonly sorted: Float64Array;
  /** The same samples in order of arrival (a ring), to know which value leaves. */
  private readonly ring: Float64Array;
  /** Samples in the window. */
  private size = 0;
  /** Slot of the ring the next sample takes (the oldest's once the window is full). */
  private next = 0;
  /** Where the last scored value goes in `sorted` (its upper bound), or -1. */
  private rank = -1;
  private readonly lik: Likelihood | null;
  private readonly params: TailParams;

  /** The window's length (`window` of the parameters). */
  get window(): number {
    return this.params.window;
  }

  constructor(p: TailParams, s?: DetectorState) {
    this.params = p;
    this.sorted = new Float64Array(p.window);
    this.ring = new Float64Array(p.window);
    this.lik = p.likelihood ? new Likelihood() : null;
    if (s !== undefined) {
      this.n = s.n as number;
      // The window is saved oldest first; a smaller window keeps the newest. Equal values stay
      // in order of arrival, as `learn` keeps them.
      const w = ((s.window as number[] | undefined) ?? []).slice(-p.window);
      const order = w.map((_, i) => i).sort((i, j) => w[i] - w[j] || i - j);
      for (let k = 0; k < w.length; k++) {
        this.sorted[k] = w[order[k]];
        this.ring[k] = w[k];
      }
      this.size = w.length;
      this.next = w.length % p.window;
      if (this.size > 0) this.expected = this.median();
      this.lik?.load((s.lik as number[] | undefined) ?? []);
    }
  }

  update(x: number): number {
    this.n++;
    this.rank = -1;
    this.lastRank = -1;
    this.tailP = this.size >= MIN_SAMPLES ? this.tail(x) : 1;
    if (this.size > 0) this.expected = this.median();
    else this.expected = x;
    this.learn(x);
    if (this.lik === null) return deviationOf(this.tailP);
    if (this.n <= this.params.likelihoodWarmup) return 0;
    const raw = Math.min(1, -Math.log10(this.tailP) / 10);
    return this.lik.update(raw);
  }

  /** Two-sided tail probability of `x` under the window. */
  private tail(x: number): number {
    const m = this.size;
    const a = this.sorted;
    const below = lowerBound(a, m, x);
    const atOrBelow = upperBound(a, m, x);
    this.rank = atOrBelow;
    this.lastRank = (below + atOrBelow) / 2;
    this.lastSize = m;
    let up = (m - below + 1) / (m + 1);
    let low = (atOrBelow + 1) / (m + 1);
    if (below === m) up *= this.beyond(x, true);
    if (atOrBelow === 0) low *= this.beyond(x, false);
    return Math.min(1, 2 * Math.min(up, low));
  }

  /**
   * The extrapolated probability of exceeding `x` given the window's extreme is exceeded:
   * exponential with the mean excess of the window's outer `TAIL_SHARE` over their edge as scale.
   */
  private beyond(x: number, upper: boolean): number {
    const m = this.size;
    const a = this.sorted;
    const k = Math.max(2, Math.ceil(m * TAIL_SHARE));
    const u = this.params.log
      ? (v: number): number => Math.sign(v) * Math.log1p(Math.abs(v))
      : (v: number): number => v;
    const edge = upper ? u(a[m - k]) : -u(a[k - 1]);
    let excess = 0;
    for (let i = 0; i < k - 1; i++) excess += (upper ? u(a[m - 1 - i]) : -u(a[i])) - edge;
    const extreme = upper ? u(a[m - 1]) : -u(a[0]);
    const scale = Math.max(excess / (k - 1), Math.abs(extreme) * 1e-3, 1e-9);
    const d = (upper ? u(x) : -u(x)) - extreme;
    return Math.exp(-d / scale);
  }

  /** The window's median. */
  private median(): number {
    const m = this.size;
    const h = m >>> 1;
    return m % 2 === 1 ? this.sorted[h] : (this.sorted[h - 1] + this.sorted[h]) / 2;
  }

  /**
   * Adds `x` to the window, dropping the oldest sample when it is full. Equal values sit in order
   * of arrival (a new one goes after its equals), so the oldest is the first of its value's run:
   * one binary search finds it, and only the samples between it and x's place move.
   */
  private learn(x: number): void {
    const a = this.sorted;
    const m = this.size;
    let j = this.rank >= 0 ? this.rank : upperBound(a, m, x);
    if (m < this.params.window) {
      a.copyWithin(j + 1, j, m);
      this.size = m + 1;
    } else {
      const i = lowerBound(a, m, this.ring[this.next]);
      if (j <= i) a.copyWithin(j + 1, j, i);
      else {
        a.copyWithin(i, i + 1, j);
        j--;
      }
    }
    a[j] = x;
    this.ring[this.next] = x;
    this.next = this.next + 1 === this.params.window ? 0 : this.next + 1;
  }

  save(): DetectorState {
    // Oldest first.
    const w = new Array<number>(this.size);
    const first = this.size < this.params.window ? 0 : this.next;
    for (let i = 0; i < this.size; i++) w[i] = this.ring[(first + i) % this.params.window];
    const out: DetectorState = { n: this.n, window: w };
    if (this.lik !== null) out.lik = this.lik.save();
    return out;
  }
}
