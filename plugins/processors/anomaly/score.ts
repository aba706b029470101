/**
 * From a deviation to a score in 0..1, and the optional calibration stage.
 *
 * The score is the two-sided Gaussian tail probability p of the deviation on a log scale,
 * min(1, -log10(p) / 10), the convention of NAB's anomaly likelihood: 3 spreads score 0.26,
 * 4.4 spreads 0.5, 6 spreads 0.87, and 6.7 or more 1.
 */

/** erfc with a relative error below 1e-6 (Numerical Recipes' erfcc), precise in the far tail too. */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886187 +
                            t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** The anomaly score of a deviation of `z` spreads. */
export function scoreOf(z: number): number {
  const a = Math.abs(z);
  if (a < 1e-9) return 0;
  const p = erfc(a / Math.SQRT2);
  const s = -Math.log10(p) / 10;
  return s >= 1 ? 1 : s;
}

/** Deviations beyond this are capped before calibration so one huge outlier cannot dominate it. */
const CALIBRATION_CAP = 30;
/** Samples averaged in the short-term mean of deviations. */
const CALIBRATION_SHORT = 5;
/** Weight of a new sample in the long-term mean and variance (memory of about 1000 samples). */
const CALIBRATION_ALPHA = 0.001;
/**
 * Samples learnt before the calibration speaks: with one or two samples its spread is about 0 and
 * any change in the deviations looked infinitely unusual (a flag in every new series right after
 * warmup).
 */
const CALIBRATION_SETTLE = 20;

/**
 * Calibration (after NAB's anomaly likelihood): rescores the detector's |deviation| against the
 * series' own history of deviations. The short-term mean of the last 5 |deviations| is compared
 * with the long-term mean and spread of that same quantity, so a series whose detector is often
 * surprised needs a bigger surprise to flag, and a sustained change scores even when each sample
 * alone is modest. It scores 0 while it learns its first 20 samples.
 */
export class Calibrator {
  private readonly ring = new Float64Array(CALIBRATION_SHORT);
  private sum = 0;
  private n = 0;
  private mean = 0;
  private variance = 0;

  /** Returns the calibrated deviation of `z`, then learns it. */
  update(z: number): number {
    const r = Math.min(Math.abs(z), CALIBRATION_CAP);
    const slot = this.n % CALIBRATION_SHORT;
    this.sum += r - this.ring[slot];
    this.ring[slot] = r;
    const avg = this.sum / Math.min(this.n + 1, CALIBRATION_SHORT);
    const out = this.n >= CALIBRATION_SETTLE ? (avg - this.mean) / (Math.sqrt(this.variance) + 1e-6) : 0;
    const a = Math.max(CALIBRATION_ALPHA, 1 / (this.n + 1));
    this.n++;
    const d = avg - this.mean;
    this.mean += a * d;
    this.variance = (1 - a) * (this.variance + a * d * d);
    return out;
  }

  save(): number[] {
    return [this.n, this.sum, this.mean, this.variance, ...this.ring];
  }

  /** Restores a `save()` snapshot (ignored when malformed). */
  load(s: number[]): void {
    if (s.length !== 4 + CALIBRATION_SHORT) return;
    [this.n, this.sum, this.mean, this.variance] = s;
    for (let i = 0; i < CALIBRATION_SHORT; i++) this.ring[i] = s[4 + i];
  }
}
