/**
 * The NAB scorer (Lavin and Ahmad, 2015), as NAB v1.1 computes it: a detection inside a labelled
 * window scores by a scaled sigmoid of its position (earlier is better, only the first counts), a
 * detection outside every window costs A_FP times a sigmoid that grows with the distance past the
 * preceding window (full cost before the first window), a missed window costs A_FN, and the first
 * 15% of each file (at most 750 rows) is probation and not scored.
 */
import type { NabFile } from './nab-data.ts';

/** Application profile weights. */
export interface Profile {
  tp: number;
  fp: number;
  fn: number;
}

/** NAB's three published profiles. */
export const PROFILES: Record<string, Profile> = {
  standard: { tp: 1.0, fp: 0.11, fn: 1.0 },
  reward_low_FP: { tp: 1.0, fp: 0.22, fn: 1.0 },
  reward_low_FN: { tp: 1.0, fp: 0.11, fn: 2.0 },
};

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** NAB's scaled sigmoid: +1 near a window start, 0 at its end, falling to -1 well after it. */
export function scaledSigmoid(position: number): number {
  return position > 3 ? -1 : 2 * sigmoid(-5 * position) - 1;
}

const MAX_TP = scaledSigmoid(-1);

/** Per-row scoring layout of one file, computed once. */
export interface FileLayout {
  /** Window index of each row, -1 outside every window, -2 in probation. */
  window: Int32Array;
  /** Unweighted score of a detection at each row: TP weight in a window, FP sigmoid outside. */
  weight: Float64Array;
  windows: number;
}

/** NAB's probationary length: 15% of the rows, at most 750. */
export function probationLength(rows: number): number {
  return Math.min(Math.floor(0.15 * rows), 0.15 * 5000);
}

/** Computes the scoring layout of a file. */
export function layout(file: NabFile): FileLayout {
  const n = file.times.length;
  const window = new Int32Array(n).fill(-1);
  const weight = new Float64Array(n);
  const bounds = file.windows.map(([a, b]) => {
    let l = 0;
    while (l < n && file.times[l] < a) l++;
    let r = n - 1;
    while (r >= 0 && file.times[r] > b) r--;
    return [l, r] as const;
  });
  let prevRight = -1;
  let prevWidth = 0;
  let w = 0;
  const probation = probationLength(n);
  for (let i = 0; i < n; i++) {
    if (w < bounds.length && i >= bounds[w][0] && i <= bounds[w][1]) {
      const [l, r] = bounds[w];
      const width = r - l + 1;
      window[i] = w;
      weight[i] = scaledSigmoid(-(r - i + 1) / width) / MAX_TP;
      if (i === r) {
        prevRight = r;
        prevWidth = width;
        w++;
      }
    } else {
      weight[i] = prevRight < 0 ? -1 : scaledSigmoid(Math.abs(prevRight - i) / (prevWidth - 1));
    }
    if (i < probation) window[i] = -2;
  }
  return { window, weight, windows: bounds.length };
}

/** Score parts of one file for one set of detections. */
export interface FileScore {
  raw: number;
  tp: number;
  fp: number;
  fn: number;
}

/** Raw NAB score of detections (row indices flagged true) under a profile. */
export function scoreFile(lay: FileLayout, detections: Uint8Array, p: Profile): FileScore {
  const best = new Float64Array(lay.windows).fill(NaN);
  let fpScore = 0;
  let fp = 0;
  for (let i = 0; i < detections.length; i++) {
    if (detections[i] === 0) continue;
    const w = lay.window[i];
    if (w === -2) continue;
    if (w === -1) {
      fpScore += lay.weight[i] * p.fp;
      fp++;
    } else if (Number.isNaN(best[w])) best[w] = lay.weight[i] * p.tp;
  }
  let raw = fpScore;
  let tp = 0;
  let fn = 0;
  for (const b of best) {
    if (Number.isNaN(b)) {
      raw -= p.fn;
      fn++;
    } else {
      raw += b;
      tp++;
    }
  }
  return { raw, tp, fp, fn };
}

/** NAB's normalised score: 0 for a detector that never fires, 100 for a perfect one. */
export function normalise(raw: number, windows: number, p: Profile): number {
  const nul = -windows * p.fn;
  const perfect = windows * p.tp;
  return perfect === nul ? NaN : (100 * (raw - nul)) / (perfect - nul);
}

/** The best threshold of a sweep and what it scores. */
export interface Sweep {
  threshold: number;
  score: number;
  raw: number;
  windows: number;
}

/**
 * NAB's threshold optimisation: every distinct anomaly score (over all files together) is a
 * candidate threshold, a row is a detection when its score is >= the threshold, and the candidate
 * with the best normalised score wins (no cooldown: every row above the threshold counts).
 * Runs in O(rows log rows): rows are added in decreasing score and the raw score kept up to date.
 */
export function optimiseThreshold(lays: FileLayout[], scores: ArrayLike<number>[], p: Profile): Sweep {
  let total = 0;
  let windows = 0;
  for (let k = 0; k < lays.length; k++) {
    total += lays[k].window.length;
    windows += lays[k].windows;
  }
  const fileOf = new Int32Array(total);
  const rowOf = new Int32Array(total);
  const value = new Float64Array(total);
  const windowBase = new Int32Array(lays.length);
  let at = 0;
  let wb = 0;
  for (let k = 0; k < lays.length; k++) {
    windowBase[k] = wb;
    wb += lays[k].windows;
    const s = scores[k];
    for (let i = 0; i < lays[k].window.length; i++, at++) {
      fileOf[at] = k;
      rowOf[at] = i;
      value[at] = Number.isFinite(s[i]) ? s[i] : 0;
    }
  }
  const order = new Uint32Array(total);
  for (let i = 0; i < total; i++) order[i] = i;
  order.sort((a, b) => value[b] - value[a]);
  const best = new Float64Array(windows).fill(NaN);
  let raw = -windows * p.fn;
  let top: Sweep = { threshold: Infinity, score: normalise(raw, windows, p), raw, windows };
  for (let j = 0; j < total;) {
    const v = value[order[j]];
    for (; j < total && value[order[j]] === v; j++) {
      const k = fileOf[order[j]];
      const i = rowOf[order[j]];
      const w = lays[k].window[i];
      if (w === -2) continue;
      if (w === -1) raw += lays[k].weight[i] * p.fp;
      else {
        const g = windowBase[k] + w;
        const s = lays[k].weight[i] * p.tp;
        if (Number.isNaN(best[g])) {
          raw += p.fn + s;
          best[g] = s;
        } else if (s > best[g]) {
          raw += s - best[g];
          best[g] = s;
        }
      }
    }
    const score = normalise(raw, windows, p);
    if (score > top.score) top = { threshold: v, score, raw, windows };
  }
  return top;
}
