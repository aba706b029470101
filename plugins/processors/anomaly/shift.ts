/**
 * The shift detector: has the distribution of the series' most recent values changed into one
 * not seen before? In the spirit of NAB's relativeEntropy detector (windows of recent values
 * tested against remembered distributions, "hypotheses", by their relative entropy), with bins
 * that follow the series: quantiles of its recent history instead of a range known in advance.
 */
import { Likelihood, type Detector, type DetectorState } from './detectors.ts';
import { TailDetector } from './tail.ts';

/** Parameters of the shift detector. */
export interface ShiftParams {
  /** Samples of history whose quantiles cut the values into bins (a sliding window). */
  window: number;
  /** Most recent values whose distribution is tested. */
  recent: number;
  /** Distributions (hypotheses) remembered; the least matched one is forgotten for a new one. */
  memory: number;
  /** Samples kept out of the likelihood while the windows fill (the processor's warmup). */
  likelihoodWarmup: number;
}

/** Bins (quantiles of the history): the test has BINS - 1 = 4 degrees of freedom. */
export const BINS = 5;
/** The chi-squared value with 4 degrees of freedom exceeded with probability 0.01: a match. */
const MATCH = 13.28;
/** Pseudo-count per bin of a remembered distribution, so no bin has probability 0. */
const PSEUDO = 0.5;

/** c·ln(c) for the counts a bin can hold (shift_recent is at most 1000), so a sample costs no logarithm. */
const C_LOG_C = Float64Array.from({ length: 1001 }, (_, c) => (c > 0 ? c * Math.log(c) : 0));

/** ln(c + PSEUDO) for the same counts. */
const LOG_C_PSEUDO = Float64Array.from({ length: 1001 }, (_, c) => Math.log(c + PSEUDO));

/** Survival function of the chi-squared distribution with BINS - 1 = 4 degrees of freedom. */
export function chi2Tail4(x: number): number {
  return x <= 0 ? 1 : Math.exp(-x / 2) * (1 + x / 2);
}

/**
 * Shift detector. Each value is given one of five bins by its rank among the last `window`
 * samples (bin k: between the k/5 and (k+1)/5 quantiles), so the bins follow the series' own
 * scale. The counts of the last `recent` values' bins are a distribution; it is tested against
 * each of up to `memory` remembered distributions by the G statistic (2·recent·KL, chi-squared
 * with 4 degrees of freedom). If it matches one (G under the 1% point) that one's count goes up;
 * if none, it is remembered as a new one (forgetting the least matched when memory is full). The
 * sample's raw score is the chi-squared tail probability of the smallest G on the log scale
 * (-log10(p) / 10), 0 on a match; like `adaptive`, the deviation reported is how far the recent
 * raw scores are above their usual level for this series (the anomaly likelihood), so a series
 * whose windows are often new does not score high all the time. A flat stretch inside the usual
 * range, a change of spread, or a move to another part of the range scores; a value beyond
 * everything seen is `tail`'s business. Nothing is scored until `recent` values have been binned.
 *
 * State: the history window (16 bytes per sample, 8 KB at 512), `recent` bins, `memory` × 5
 * log-probabilities and counts, the likelihood's 14 numbers.
 */
export class ShiftDetector implements Detector {
  n = 0;
  expected = 0;
  /** Chi-squared tail probability of the last sample's window against its closest remembered distribution. */
  shiftP = 1;
  private readonly hist: TailDetector;
  /** The history window is another detector's (a `tail` part before it in an ensemble), updated by it. */
  private readonly shared: boolean;
  /** Bins of the recent values (a ring) and their counts. */
  private readonly bins: Uint8Array;
  private readonly counts: Float64Array;
  private binned = 0;
  /** log-probabilities of the remembered distributions, BINS per one, and how often each matched. */
  private readonly logq: Float64Array;
  private readonly seen: Float64Array;
  private hyps = 0;
  private readonly lik = new Likelihood();
  private readonly p: ShiftParams;

  /**
   * `shared`: a tail detector with a window of `window` samples that sees every sample just before
   * this one (a `tail` part before it in an ensemble); its window is used as the history instead of
   * a copy of it (the same ranks, half the state and work).
   */
  constructor(p: ShiftParams, s?: DetectorState, shared?: TailDetector) {
    this.p = p;
    this.shared = shared !== undefined;
    // One buffer for the counts, the remembered distributions and the recent bins (fewer cache misses).
    const doubles = BINS + p.memory * (BINS + 1);
    const buf = new ArrayBuffer(doubles * 8 + p.recent);
    this.counts = new Float64Array(buf, 0, BINS);
    this.logq = new Float64Array(buf, BINS * 8, p.memory * BINS);
    this.seen = new Float64Array(buf, (BINS + p.memory * BINS) * 8, p.memory);
    this.bins = new Uint8Array(buf, doubles * 8, p.recent);
    this.hist =
      shared ??
      new TailDetector(
        { window: p.window, log: false, likelihood: false, likelihoodWarmup: 0 },
        s === undefined
          ? undefined
          : { n: (s.hn as number | undefined) ?? 0, window: (s.window as number[]) ?? [] },
      );
    if (s !== undefined) {
      this.n = s.n as number;
      this.expected = this.hist.expected;
      // Recent bins oldest first, the newest `recent` kept.
      const b = ((s.bins as number[] | undefined) ?? []).slice(-p.recent);
      for (const v of b) this.addBin(v);
      const q = (s.logq as number[] | undefined) ?? [];
      const f = (s.seen as number[] | undefined) ?? [];
      this.hyps = Math.min(p.memory, f.length, Math.floor(q.length / BINS));
      for (let j = 0; j < this.hyps; j++) {
        this.seen[j] = f[j];
        for (let i = 0; i < BINS; i++) this.logq[j * BINS + i] = q[j * BINS + i];
      }
      this.lik.load((s.lik as number[] | undefined) ?? []);
    }
  }

  update(x: number): number {
    this.n++;
    this.shiftP = 1;
    if (!this.shared) this.hist.update(x);
    this.expected = this.hist.expected;
    const r = this.hist.lastRank;
    if (r < 0) return 0;
    this.addBin(Math.min(BINS - 1, Math.floor((BINS * r) / this.hist.lastSize)));
    if (this.binned < this.p.recent) return 0;
    this.shiftP = this.test();
    if (this.n <= this.p.likelihoodWarmup) return 0;
    const raw = Math.min(1, -Math.log10(Math.max(this.shiftP, 1e-300)) / 10);
    return this.lik.update(raw);
  }

  /** Adds a bin to the recent ring, dropping the oldest once it is full. */
  private addBin(b: number): void {
    const w = this.p.recent;
    const slot = this.binned % w;
    if (this.binned >= w) this.counts[this.bins[slot]]--;
    this.bins[slot] = b;
    this.counts[b]++;
    // Kept below 2·recent so it never overflows; the slot arithmetic only needs it mod recent.
    this.binned = this.binned >= 2 * w ? this.binned + 1 - w : this.binned + 1;
  }

  /**
   * Tests the recent distribution against the remembered ones; counts the match or remembers it.
   * Returns the tail probability of the smallest G (1 on a match).
   */
  private test(): number {
    const w = this.p.recent;
    const c = this.counts;
    // G = 2 Σ c_i (log(c_i / w) - log q_i): the first part once, the second per distribution.
    const own = C_LOG_C[c[0]] + C_LOG_C[c[1]] + C_LOG_C[c[2]] + C_LOG_C[c[3]] + C_LOG_C[c[4]] - C_LOG_C[w];
    let best = Infinity;
    let at = -1;
    const q = this.logq;
    for (let j = 0, o = 0; j < this.hyps; j++, o += BINS) {
      const g =
        2 * (own - (c[0] * q[o] + c[1] * q[o + 1] + c[2] * q[o + 2] + c[3] * q[o + 3] + c[4] * q[o + 4]));
      if (g < best) {
        best = g;
        at = j;
      }
    }
    if (at >= 0 && best <= MATCH) {
      this.seen[at]++;
      return 1;
    }
    const p = at < 0 ? 1 : chi2Tail4(best);
    // Remember this distribution, in place of the least matched one when memory is full.
    let slot = this.hyps;
    if (slot >= this.p.memory) {
      slot = 0;
      for (let j = 1; j < this.hyps; j++) if (this.seen[j] < this.seen[slot]) slot = j;
    } else this.hyps++;
    const norm = Math.log(w + PSEUDO * BINS);
    for (let i = 0; i < BINS; i++) this.logq[slot * BINS + i] = LOG_C_PSEUDO[c[i]] - norm;
    this.seen[slot] = 1;
    return p;
  }

  save(): DetectorState {
    const w = this.p.recent;
    const k = Math.min(this.binned, w);
    const bins = new Array<number>(k);
    // Oldest first: the ring's slot after the newest, once full.
    const first = this.binned >= w ? this.binned % w : 0;
    for (let i = 0; i < k; i++) bins[i] = this.bins[(first + i) % w];
    const out: DetectorState = {
      n: this.n,
      bins,
      logq: Array.from(this.logq.subarray(0, this.hyps * BINS)),
      seen: Array.from(this.seen.subarray(0, this.hyps)),
      lik: this.lik.save(),
    };
    if (!this.shared) {
      const h = this.hist.save();
      out.hn = h.n;
      out.window = h.window;
    }
    return out;
  }
}
