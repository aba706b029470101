/**
 * The ensemble detector: several detectors score every sample of a series, each through its own
 * last stage (the anomaly likelihood inside `adaptive` and `contextual`, the calibration the
 * processor gives `robust`), and their scores (0..1) are combined into one.
 */
import type { Detector, DetectorState } from './detectors.ts';
import { Calibrator, scoreOf } from './score.ts';

/** How the parts' scores are combined. */
export type EnsembleCombine = 'mean' | 'max' | 'vote';

/** One member of the ensemble. */
export interface EnsemblePart {
  /** Its name, for reasons and state keys. */
  name: string;
  /**
   * Builds the detector, fresh or from its saved state; `before` are the parts built before it,
   * which it may share work with (they see each sample first).
   */
  make: (s: DetectorState | undefined, before: readonly Detector[]) => Detector;
  /** Its deviations go through a calibration stage (as the processor calibrates `robust`). */
  calibrate: boolean;
}

/** Parameters of the ensemble detector. */
export interface EnsembleParams {
  parts: EnsemblePart[];
  combine: EnsembleCombine;
  /** Samples scored 0 and kept out of the calibrations (the processor's warmup). */
  warmup: number;
}

/**
 * Ensemble: every part scores the sample (its deviation, calibrated when the part asks for it,
 * mapped to a score in 0..1 as the processor maps it); the scores are combined by `combine`:
 * `mean` (the average), `max` (the highest: any part may flag), or `vote` (the second highest: at
 * least two parts must agree; with two parts, both). The combined score is `score`, which the
 * processor takes as the sample's; the deviation returned is the largest of the parts' (calibrated
 * ones for calibrated parts, signed), for the event's `deviation`. The expectation is the first
 * part's. State: the parts' states and calibrations, nothing else.
 */
export class EnsembleDetector implements Detector {
  n = 0;
  expected = 0;
  /** The last sample's combined score. */
  score = 0;
  /** The parts' last scores, in the order of the parts. */
  readonly scores: Float64Array;
  readonly names: string[];
  private readonly parts: Detector[];
  private readonly calibs: (Calibrator | null)[];
  private readonly p: EnsembleParams;

  constructor(p: EnsembleParams, s?: DetectorState) {
    this.p = p;
    this.names = p.parts.map((q) => q.name);
    this.scores = new Float64Array(p.parts.length);
    this.parts = [];
    for (let i = 0; i < p.parts.length; i++)
      this.parts.push(p.parts[i].make(s === undefined ? undefined : sub(s, `p${i}_`), this.parts));
    this.calibs = p.parts.map((q, i) => {
      if (!q.calibrate) return null;
      const c = new Calibrator();
      const saved = s?.[`c${i}`];
      if (Array.isArray(saved)) c.load(saved);
      return c;
    });
    if (s !== undefined) this.n = s.n as number;
  }

  update(x: number, t?: number): number {
    this.n++;
    const warm = this.n > this.p.warmup;
    const scores = this.scores;
    let top = 0;
    for (let i = 0; i < this.parts.length; i++) {
      const z = this.parts[i].update(x, t);
      const c = this.calibs[i];
      // As the processor does: the calibration learns only from warmed-up deviations.
      const zc = !warm ? 0 : c === null ? z : Math.sign(z) * Math.max(0, c.update(z));
      scores[i] = scoreOf(zc);
      if (Math.abs(zc) > Math.abs(top)) top = zc;
    }
    this.expected = this.parts[0].expected;
    this.score = combine(scores, this.p.combine);
    return top;
  }

  save(): DetectorState {
    const out: DetectorState = { n: this.n };
    this.parts.forEach((d, i) => {
      for (const [k, v] of Object.entries(d.save())) out[`p${i}_${k}`] = v;
      const c = this.calibs[i];
      if (c !== null) out[`c${i}`] = c.save();
    });
    return out;
  }
}

/** The combined score of `scores` (at least one). */
export function combine(scores: ArrayLike<number>, how: EnsembleCombine): number {
  let top = 0;
  let second = 0;
  let sum = 0;
  for (let i = 0; i < scores.length; i++) {
    const v = scores[i];
    sum += v;
    if (v > top) {
      second = top;
      top = v;
    } else if (v > second) second = v;
  }
  if (how === 'max') return top;
  if (how === 'mean') return sum / scores.length;
  return scores.length < 2 ? top : second;
}

/** The keys of `s` that start with `prefix`, without it. */
function sub(s: DetectorState, prefix: string): DetectorState {
  const out: DetectorState = {};
  for (const k of Object.keys(s)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = s[k];
  return out;
}
