/**
 * Streaming anomaly detectors over one numeric series. Each scores a new sample against what it
 * has learnt so far (a signed deviation in units of the series' typical spread, and the value it
 * expected), then learns the sample. State is plain numbers and arrays, bounded per series, and
 * serialisable for persistence.
 */

/** What every detector exposes after `update`. */
export interface Detector {
  /** Samples learnt so far. */
  readonly n: number;
  /** The value expected for the last sample. */
  readonly expected: number;
  /**
   * Scores `x` (signed deviation from the expectation in spreads), then learns it. `t` is the
   * sample's time (any unit, increasing); detectors that model a season use it to place the sample
   * in its period when samples are irregular or missing, the others ignore it.
   */
  update(x: number, t?: number): number;
  /**
   * The last sample's score (0..1), for a detector that scores by itself (one that combines other
   * detectors' scores); absent for the others, whose score the processor derives from the deviation.
   */
  readonly score?: number;
  /** A JSON-safe copy of the state. */
  save(): DetectorState;
}

/** Serialised detector state. */
export type DetectorState = Record<string, number | number[]>;

/** Guards against a zero spread on a flat series: a floor relative to the level, and an absolute one. */
function spreadFloor(level: number): number {
  return Math.max(Math.abs(level) * 1e-3, 1e-9);
}

/** Parameters of the EWMA detector. */
export interface EwmaParams {
  /** Smoothing factor of the mean and variance (0..1); 2/(N+1) for an N-sample memory. */
  alpha: number;
  /** Deviations beyond this many spreads are clipped before learning, so one outlier does not blow up the variance. */
  clip: number;
}

/** EWMA z-score: exponentially weighted mean and variance. */
export class EwmaDetector implements Detector {
  n = 0;
  expected = 0;
  mean = 0;
  variance = 0;
  private readonly p: EwmaParams;

  constructor(p: EwmaParams, s?: DetectorState) {
    this.p = p;
    if (s !== undefined) {
      this.n = s.n as number;
      this.mean = s.mean as number;
      this.variance = s.variance as number;
    }
  }

  update(x: number): number {
    // Until 1/n falls below alpha the mean and variance are plain running ones, so the first
    // estimates are not biased toward the first sample (and a zero variance).
    const a = Math.max(this.p.alpha, 1 / (this.n + 1));
    if (this.n++ === 0) {
      this.mean = this.expected = x;
      return 0;
    }
    const mean = this.mean;
    this.expected = mean;
    const sd = Math.sqrt(this.variance);
    const spread = Math.max(sd, spreadFloor(mean));
    const z = (x - mean) / spread;
    const lim = this.p.clip * spread;
    const d = this.n <= 2 ? x - mean : Math.max(-lim, Math.min(lim, x - mean));
    this.mean = mean + a * d;
    // The spread learns from the unclipped deviation: a series that spikes often earns a wider spread.
    const dv = x - mean;
    this.variance = (1 - a) * (this.variance + a * dv * dv);
    return z;
  }

  save(): DetectorState {
    return { n: this.n, mean: this.mean, variance: this.variance };
  }
}

/** Parameters of the robust detector. */
export interface RobustParams {
  /** Samples in the rolling window. */
  window: number;
}

const MAD_TO_SIGMA = 1.4826;
const MEAN_AD_TO_SIGMA = 1.2533;

/**
 * Robust z-score: distance from the rolling median in units of the rolling MAD. The window is kept
 * twice in typed arrays, in arrival order and sorted; a sample costs one shift of the sorted
 * entries between the one leaving and the one arriving, and O(log window) for the median and the
 * MAD.
 */
export class RobustDetector implements Detector {
  n = 0;
  expected = 0;
  /** Ring of the last `window` samples in arrival order (the first `len` slots used). */
  private readonly ring: Float64Array;
  /** The same samples, sorted (the first `len` slots). */
  private readonly sorted: Float64Array;
  private len = 0;
  private head = 0;
  private readonly p: RobustParams;

  constructor(p: RobustParams, s?: DetectorState) {
    this.p = p;
    this.ring = new Float64Array(p.window);
    this.sorted = new Float64Array(p.window);
    if (s !== undefined) {
      this.n = s.n as number;
      let ring = s.ring as number[];
      let head = (s.head as number) % Math.max(1, ring.length);
      if (ring.length > p.window) {
        ring = ring.slice(ring.length - p.window);
        head = 0;
      }
      this.ring.set(ring);
      this.len = ring.length;
      this.head = head >= this.len ? 0 : head;
      this.sorted.set(this.ring.subarray(0, this.len));
      this.sorted.subarray(0, this.len).sort();
    }
  }

  update(x: number): number {
    this.n++;
    const sorted = this.sorted;
    const len = this.len;
    let z = 0;
    if (len > 0) {
      const med = median(sorted, len);
      this.expected = med;
      const mad = medianAbsDev(sorted, len, med);
      // On a mostly flat window the MAD is 0; the mean absolute deviation still sees the rare moves.
      const spread = mad > 0 ? mad * MAD_TO_SIGMA : meanAbsDev(sorted, len, med) * MEAN_AD_TO_SIGMA;
      z = (x - med) / Math.max(spread, spreadFloor(med));
    } else this.expected = x;
    const at = lowerBound(sorted, len, x);
    if (len < this.p.window) {
      this.ring[this.len++] = x;
      sorted.copyWithin(at + 1, at, len);
      sorted[at] = x;
      return z;
    }
    const old = this.ring[this.head];
    this.ring[this.head] = x;
    this.head = (this.head + 1) % this.p.window;
    // The sample leaving and the one arriving in one shift: only the entries between them move.
    const out = lowerBound(sorted, len, old);
    if (at > out) {
      sorted.copyWithin(out, out + 1, at);
      sorted[at - 1] = x;
    } else {
      sorted.copyWithin(at + 1, at, out);
      sorted[at] = x;
    }
    return z;
  }

  save(): DetectorState {
    return { n: this.n, head: this.head, ring: Array.from(this.ring.subarray(0, this.len)) };
  }
}

/** The first index of the first `n` entries of sorted `a` whose value is not below `x`. */
function lowerBound(a: ArrayLike<number>, n: number, x: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function meanAbsDev(a: ArrayLike<number>, n: number, med: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.abs(a[i] - med);
  return s / n;
}

function median(sorted: ArrayLike<number>, n: number): number {
  const h = n >>> 1;
  return n % 2 === 1 ? sorted[h] : (sorted[h - 1] + sorted[h]) / 2;
}

/**
 * Median of |x - med| over the first `n` entries of sorted `a`: the distances grow outward from
 * the median on both sides, two sorted runs, so their k-th smallest is found by a binary search
 * on how many come from the right-hand run (O(log n)).
 */
export function medianAbsDev(a: ArrayLike<number>, n: number, med: number): number {
  const want = n >>> 1;
  const r = lowerBound(a, n, med);
  const d = kthDistance(a, n, r, med, want);
  return n % 2 === 1 ? d : (kthDistance(a, n, r, med, want - 1) + d) / 2;
}

/**
 * The k-th (from 0) smallest |a[i] - med| over the first `n` entries of sorted `a`, where `r` is
 * the first index not below `med`: the right run's distances are a[r + i] - med, the left run's
 * med - a[r - 1 - j].
 */
function kthDistance(a: ArrayLike<number>, n: number, r: number, med: number, k: number): number {
  const na = n - r;
  const nb = r;
  let lo = Math.max(0, k + 1 - nb);
  let hi = Math.min(k + 1, na);
  // The smallest i (taken from the right run, k + 1 - i from the left) at which the right run's
  // next distance is no longer below the left run's last one taken.
  while (lo < hi) {
    const i = (lo + hi) >>> 1;
    const j = k + 1 - i;
    if (a[r + i] - med < med - a[r - j]) lo = i + 1;
    else hi = i;
  }
  const j = k + 1 - lo;
  const fromA = lo > 0 ? a[r + lo - 1] - med : -Infinity;
  const fromB = j > 0 ? med - a[r - j] : -Infinity;
  return fromA > fromB ? fromA : fromB;
}

/** Parameters of the Holt-Winters detector. */
export interface HoltWintersParams {
  /** Season length in samples (e.g. 288 for daily at 5-minute samples). */
  period: number;
  alpha: number;
  beta: number;
  gamma: number;
  /** Smoothing of the residual variance. */
  errorAlpha: number;
  /** Residuals beyond this many spreads are clipped before learning. */
  clip: number;
}

/** Additive Holt-Winters: level, trend and a seasonal profile; scores the forecast error. */
export class HoltWintersDetector implements Detector {
  n = 0;
  expected = 0;
  level = 0;
  trend = 0;
  errVar = 0;
  readonly season: number[];
  private readonly p: HoltWintersParams;

  constructor(p: HoltWintersParams, s?: DetectorState) {
    this.p = p;
    this.season = new Array<number>(p.period).fill(0);
    if (s !== undefined) {
      this.n = s.n as number;
      this.level = s.level as number;
      this.trend = s.trend as number;
      this.errVar = s.errVar as number;
      const season = s.season as number[];
      for (let i = 0; i < Math.min(season.length, p.period); i++) this.season[i] = season[i];
    }
  }

  /**
   * `at`: the sample's step number on a regular time grid (see AdaptiveDetector); the sample
   * count when absent. A sample after a gap takes its phase from its step, so the season stays in
   * place across missing samples.
   */
  update(x: number, _t?: number, at?: number): number {
    const p = this.p;
    if (at !== undefined && at > this.n) this.n = at;
    const i = this.n % p.period;
    const n = this.n++;
    if (n < p.period) return this.seed(x, i, n);
    const s = this.season[i];
    const forecast = this.level + this.trend + s;
    this.expected = forecast;
    const err = x - forecast;
    const spread = Math.max(Math.sqrt(this.errVar), spreadFloor(this.level));
    const z = err / spread;
    const lim = p.clip * spread;
    const e = Math.max(-lim, Math.min(lim, err));
    const y = forecast + e;
    const level = this.level;
    this.level = p.alpha * (y - s) + (1 - p.alpha) * (level + this.trend);
    this.trend = p.beta * (this.level - level) + (1 - p.beta) * this.trend;
    this.season[i] = p.gamma * (y - this.level) + (1 - p.gamma) * s;
    // The spread learns from the unclipped error: a series that spikes often earns a wider spread.
    this.errVar = (1 - p.errorAlpha) * (this.errVar + p.errorAlpha * err * err);
    return z;
  }

  /**
   * The first season seeds the model: the level is the season's mean and the seasonal profile the
   * offsets from it, smoothed by a circular median of 5 so one spike in the first season does not
   * come back every period; the residual spread starts as the robust spread of what the smoothing
   * removed. Nothing is scored meanwhile.
   */
  private seed(x: number, i: number, n: number): number {
    const p = this.p;
    const m = p.period;
    this.season[i] = x;
    this.level += (x - this.level) / (n + 1);
    this.expected = this.level;
    if (n < m - 1) return 0;
    const raw = this.season.map((v) => v - this.level);
    const resid: number[] = [];
    const win: number[] = [0, 0, 0, 0, 0];
    for (let k = 0; k < m; k++) {
      for (let j = -2; j <= 2; j++) win[j + 2] = raw[(((k + j) % m) + m) % m];
      win.sort((a, b) => a - b);
      this.season[k] = m >= 5 ? win[2] : raw[k];
      resid.push(Math.abs(raw[k] - this.season[k]));
    }
    resid.sort((a, b) => a - b);
    const sd = MAD_TO_SIGMA * median(resid, resid.length);
    this.errVar = sd * sd;
    return 0;
  }

  save(): DetectorState {
    return { n: this.n, level: this.level, trend: this.trend, errVar: this.errVar, season: [...this.season] };
  }
}

/**
 * The season of a series from its autocorrelation over `buf` (a bounded window): the lag, between
 * `minLag` and `maxLag`, of the highest local maximum of the autocorrelation that reaches
 * `minAcf`, looked for only once the autocorrelation has first fallen below half of `minAcf` (so
 * the slow decay of a smooth or trending series is not taken for a season). 0 when there is none
 * or the window is flat.
 */
export function detectSeason(buf: ArrayLike<number>, minLag: number, maxLag: number, minAcf = 0.3): number {
  const n = buf.length;
  if (n < 3 || maxLag < minLag) return 0;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += buf[i];
  mean /= n;
  let v0 = 0;
  for (let i = 0; i < n; i++) v0 += (buf[i] - mean) ** 2;
  if (!(v0 > 0)) return 0;
  const top = Math.min(maxLag + 1, n - 1);
  const acf = new Float64Array(top + 2);
  for (let l = 1; l <= top; l++) {
    let s = 0;
    for (let i = l; i < n; i++) s += (buf[i] - mean) * (buf[i - l] - mean);
    acf[l] = ((s / v0) * n) / (n - l);
  }
  let best = 0;
  let bestAcf = minAcf;
  let dipped = false;
  for (let l = 1; l < top; l++) {
    if (acf[l] < minAcf / 2) dipped = true;
    if (dipped && l >= minLag && acf[l] > bestAcf && acf[l] >= acf[l - 1] && acf[l] >= acf[l + 1]) {
      bestAcf = acf[l];
      best = l;
    }
  }
  return best;
}

/** Samples in the short-term average of the likelihood stage. */
const LIKELIHOOD_SHORT = 10;
/** Weight of a new sample in the likelihood's long-term mean and variance (memory of about 1000). */
const LIKELIHOOD_ALPHA = 0.001;
/** Floor of the likelihood's long-term variance (the raw scores are in 0..1). */
const LIKELIHOOD_MIN_VAR = 1e-4;
/**
 * Samples learnt before the likelihood speaks: with one or two its spread is the floor, and any
 * change in the short-term average looked a many-spread surprise (a flag in every new series
 * right after warmup).
 */
const LIKELIHOOD_SETTLE = 20;

/**
 * Anomaly likelihood, after NAB's post-processing of HTM scores: the raw score (0..1) of the
 * underlying model is averaged over the last 10 samples and compared with the long-term mean and
 * spread of that average. Returns how many spreads the short-term average is above its usual level
 * (0 when below): a series whose model is often surprised needs a bigger surprise, and a sustained
 * change stands out even when each sample alone is modest. It scores 0 while it learns its first 20
 * samples.
 */
export class Likelihood {
  private readonly ring = new Float64Array(LIKELIHOOD_SHORT);
  private sum = 0;
  private n = 0;
  private mean = 0;
  private variance = 0;

  update(raw: number): number {
    const slot = this.n % LIKELIHOOD_SHORT;
    this.sum += raw - this.ring[slot];
    this.ring[slot] = raw;
    const avg = this.sum / Math.min(this.n + 1, LIKELIHOOD_SHORT);
    const z =
      this.n >= LIKELIHOOD_SETTLE
        ? (avg - this.mean) / Math.sqrt(Math.max(this.variance, LIKELIHOOD_MIN_VAR))
        : 0;
    const a = Math.max(LIKELIHOOD_ALPHA, 1 / (this.n + 1));
    this.n++;
    const d = avg - this.mean;
    this.mean += a * d;
    this.variance = (1 - a) * (this.variance + a * d * d);
    return z > 0 ? z : 0;
  }

  save(): number[] {
    return [this.n, this.sum, this.mean, this.variance, ...this.ring];
  }

  load(s: number[]): void {
    if (s.length !== 4 + LIKELIHOOD_SHORT) return;
    [this.n, this.sum, this.mean, this.variance] = s;
    for (let i = 0; i < LIKELIHOOD_SHORT; i++) this.ring[i] = s[4 + i];
  }
}

/** Parameters of the adaptive detector. */
export interface AdaptiveParams {
  /** Samples buffered to detect the season (the longest season found is half of it). */
  seasonWindow: number;
  /** Count the season in steps of the sampling interval (from the samples' times), not in samples. */
  timeAware: boolean;
  /** Samples scored 0 and kept out of the likelihood while the models warm up (the processor's warmup). */
  likelihoodWarmup: number;
  ewma: EwmaParams;
  /** Holt-Winters parameters but the period, which is detected. */
  hw: Omit<HoltWintersParams, 'period'>;
  /** Maps a deviation in spreads to a raw score in 0..1 (the processor's scoreOf). */
  rawScore: (z: number) => number;
}

/** Shortest season looked for, in samples. */
const MIN_SEASON = 4;
/** The regular grid of the buffered samples holds at most this many season windows of steps. */
const GRID_WINDOWS = 3;

/**
 * The sampling step of `times`: the median positive interval, refined over the whole span (each
 * interval counted as the whole number of median steps nearest to it; the span divided by their
 * sum), so jitter does not bias it and gaps count as the steps they miss. 0 when there is none.
 */
export function samplingStep(times: ArrayLike<number>): number {
  const d: number[] = [];
  for (let i = 1; i < times.length; i++) if (times[i] > times[i - 1]) d.push(times[i] - times[i - 1]);
  if (d.length === 0) return 0;
  const sorted = [...d].sort((a, b) => a - b);
  const median = sorted[sorted.length >> 1];
  let span = 0;
  let steps = 0;
  for (const x of d) {
    span += x;
    steps += Math.max(1, Math.round(x / median));
  }
  return span / steps;
}

/**
 * The samples (`times`, `values`) on a regular grid of `step`: grid point g is time
 * `times[0] + g * step`; a sample lands on its nearest point (the later of two on the same point
 * wins), and points without a sample are interpolated linearly between their neighbours. At most
 * `maxLen` points, the latest ones. Regular samples give back `values` unchanged.
 * Returns the grid and the grid point of the last sample.
 */
export function regularGrid(
  times: ArrayLike<number>,
  values: ArrayLike<number>,
  step: number,
  maxLen: number,
): { grid: Float64Array; last: number } {
  const n = values.length;
  const t0 = times[0];
  const at = (i: number): number => Math.max(0, Math.round((times[i] - t0) / step));
  const last = at(n - 1);
  const from = Math.max(0, last + 1 - maxLen);
  const grid = new Float64Array(last + 1 - from).fill(NaN);
  for (let i = 0; i < n; i++) {
    const g = at(i) - from;
    if (g >= 0) grid[g] = values[i];
  }
  // Fill the holes: linear between the known points around them, flat before the first.
  let prev = -1;
  for (let g = 0; g < grid.length; g++) {
    if (Number.isNaN(grid[g])) continue;
    if (prev < 0) grid.fill(grid[g], 0, g);
    else if (g - prev > 1)
      for (let k = prev + 1; k < g; k++)
        grid[k] = grid[prev] + ((grid[g] - grid[prev]) * (k - prev)) / (g - prev);
    prev = g;
  }
  return { grid, last };
}

/**
 * Adaptive: an EWMA detector scores from the first sample while the first `seasonWindow` samples
 * are buffered; then the season is detected from their autocorrelation. With a season, a
 * Holt-Winters model of that period is seeded from the buffer and scores alongside the EWMA (the
 * raw score is the mean of the two models' raw scores); without one, the EWMA goes on alone. The
 * raw score passes through the anomaly likelihood; the returned deviation is the likelihood's
 * (spreads above the usual level of recent surprise).
 *
 * Time (`timeAware`): the season is counted in steps of the series' sampling interval (the median
 * interval of the buffered samples), not in samples. The buffer is laid on a regular grid of that step (gaps
 * interpolated, jitter rounded to the nearest step) before the season is looked for and the model
 * seeded, and every later sample takes its phase from its time, so missing or irregular samples do
 * not shift the season. Regularly sampled series (or samples without times) behave exactly as if
 * counted. State: the buffer until the decision (then dropped), one season, a few numbers.
 */
export class AdaptiveDetector implements Detector {
  n = 0;
  expected = 0;
  /** Detected season in steps; 0 for none (EWMA), -1 before the decision. */
  season = -1;
  private buf: number[] = [];
  private times: number[] = [];
  /** Time of grid step 0 and the step; the grid step of the last sample given to the model. */
  private t0 = 0;
  private step = 1;
  private lastStep = 0;
  private readonly ewma: EwmaDetector;
  private hw: HoltWintersDetector | null = null;
  private readonly lik = new Likelihood();
  private readonly p: AdaptiveParams;

  constructor(p: AdaptiveParams, s?: DetectorState) {
    this.p = p;
    const sub = (prefix: string): DetectorState => {
      const out: DetectorState = {};
      if (s !== undefined)
        for (const k of Object.keys(s)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = s[k];
      return out;
    };
    this.ewma = new EwmaDetector(p.ewma, s === undefined ? undefined : sub('e_'));
    if (s !== undefined) {
      this.n = s.n as number;
      this.season = s.season as number;
      this.buf = [...((s.buf as number[] | undefined) ?? [])].slice(0, p.seasonWindow);
      const times = (s.times as number[] | undefined) ?? [];
      this.times = times.length === this.buf.length ? [...times] : this.buf.map((_, i) => i);
      this.t0 = (s.t0 as number | undefined) ?? 0;
      this.step = (s.step as number | undefined) ?? 1;
      this.lastStep = (s.lastStep as number | undefined) ?? 0;
      this.lik.load((s.lik as number[] | undefined) ?? []);
      if (this.season >= MIN_SEASON)
        this.hw = new HoltWintersDetector({ ...p.hw, period: this.season }, sub('h_'));
    }
  }

  update(x: number, t?: number): number {
    // Counting samples, or without a time, the sample count stands in: a regular series.
    const time = this.p.timeAware && t !== undefined ? t : this.n;
    this.n++;
    // The EWMA runs on every sample; with a season, the raw score is the mean of both models'
    // (their agreement), otherwise the EWMA's alone.
    const ze = this.ewma.update(x);
    let raw = this.p.rawScore(ze);
    if (this.season < 0) {
      this.expected = this.ewma.expected;
      this.buf.push(x);
      this.times.push(time);
      if (this.buf.length >= this.p.seasonWindow) this.decide();
    } else if (this.hw !== null) {
      // The sample's step on the grid; a late or duplicate time stays on the last step.
      const at = Math.max(this.lastStep, Math.round((time - this.t0) / this.step));
      this.lastStep = at;
      raw = (raw + this.p.rawScore(this.hw.update(x, time, at))) / 2;
      this.expected = this.hw.expected;
    } else this.expected = this.ewma.expected;
    // The likelihood learns the usual level of surprise only after warm-up: before, the models'
    // spreads are still forming and every sample looks surprising.
    if (this.n <= this.p.likelihoodWarmup) return 0;
    return this.lik.update(raw);
  }

  private decide(): void {
    const step = samplingStep(this.times);
    let series: ArrayLike<number> = this.buf;
    if (step > 0) {
      const { grid, last } = regularGrid(this.times, this.buf, step, GRID_WINDOWS * this.p.seasonWindow);
      series = grid;
      this.step = step;
      // Grid step 0 is the first point kept; the model's steps continue from the last sample's.
      this.lastStep = grid.length - 1;
      this.t0 = this.times[0] + (last - this.lastStep) * step;
    }
    const found = detectSeason(series, MIN_SEASON, series.length >> 1);
    this.season = found >= MIN_SEASON ? found : 0;
    if (this.season > 0) {
      this.hw = new HoltWintersDetector({ ...this.p.hw, period: this.season });
      for (let i = 0; i < series.length; i++) this.hw.update(series[i]);
    }
    this.buf = [];
    this.times = [];
  }

  save(): DetectorState {
    const out: DetectorState = {
      n: this.n,
      season: this.season,
      buf: [...this.buf],
      times: [...this.times],
      t0: this.t0,
      step: this.step,
      lastStep: this.lastStep,
      lik: this.lik.save(),
    };
    for (const [k, v] of Object.entries(this.ewma.save())) out['e_' + k] = v;
    if (this.hw !== null) for (const [k, v] of Object.entries(this.hw.save())) out['h_' + k] = v;
    return out;
  }
}

/** Parameters of the contextual detector. */
export interface ContextualParams {
  /** Levels the series' running range is cut into (2..14; two more mark values above and below it). */
  bins: number;
  /** Longest sequence of levels remembered, ending at the current sample (1..6). */
  length: number;
  /** Slots of the context memory (even; a power of two is rounded up to). */
  slots: number;
  /** Samples scored 0 and kept out of the likelihood while the range forms (the processor's warmup). */
  likelihoodWarmup: number;
}

/** Weight of a new sample in the mean the running range contracts toward. */
const CONTEXT_MEAN_ALPHA = 0.01;
/** Share of the distance to the mean that the range's ends give up per sample (half-life about 1400 samples). */
const CONTEXT_RANGE_DECAY = 0.0005;
/** Counts below this are free slots after a halving. */
const CONTEXT_MIN_COUNT = 0.25;

/**
 * Contextual (sequence) detector, in the spirit of CAD OSE: each value is quantised into one of
 * `bins` levels of the series' running range (its ends follow new extremes at once and contract
 * slowly toward the running mean), or one of two more levels when it lies above or below that
 * range; the levels of the last `length` samples form contexts. For
 * every k from 1 to `length`, the sequence of the last k levels (the current one included) is
 * looked up in a bounded memory of the sequences seen, with decayed counts; the sample's novelty
 * (0..1) is the mean over k of 1 / (1 + count): a level never seen scores 1 at every length, a
 * familiar level in an unfamiliar order only at the longer ones. The novelty passes through the
 * anomaly likelihood (as in `adaptive`): the returned deviation is spreads above the series' usual
 * level of novelty, so a noisy series whose long contexts are always new is not always anomalous.
 *
 * Memory: `slots` pairs of (sequence key, count) in two typed arrays, two-way set associative (a
 * new sequence evicts the less counted of its two slots); every `slots` samples all counts are
 * halved and those under 0.25 freed, so old contexts fade. State: 8 bytes per slot and a few
 * numbers (2 KB at 256 slots).
 */
export class ContextualDetector implements Detector {
  n = 0;
  expected = 0;
  private mean = 0;
  private lo = 0;
  private hi = 0;
  /** The last `length` levels, 4 bits each, the current one lowest. */
  private hist = 0;
  private readonly keys: Int32Array;
  private readonly counts: Float32Array;
  private readonly mask: number;
  private readonly shift: number;
  private readonly lik = new Likelihood();
  private readonly p: ContextualParams;

  constructor(p: ContextualParams, s?: DetectorState) {
    this.p = p;
    let size = 2;
    while (size < p.slots) size *= 2;
    this.keys = new Int32Array(size);
    this.counts = new Float32Array(size);
    this.mask = size - 2;
    this.shift = 32 - Math.log2(size);
    if (s !== undefined) {
      this.n = s.n as number;
      this.expected = this.mean = s.mean as number;
      this.lo = s.lo as number;
      this.hi = s.hi as number;
      this.hist = s.hist as number;
      const keys = (s.keys as number[] | undefined) ?? [];
      const counts = (s.counts as number[] | undefined) ?? [];
      if (keys.length === size && counts.length === size) {
        this.keys.set(keys);
        this.counts.set(counts);
      }
      this.lik.load((s.lik as number[] | undefined) ?? []);
    }
  }

  /** The level (0..bins-1) of `x` in the current range. */
  private level(x: number): number {
    const width = Math.max(this.hi - this.lo, spreadFloor(this.mean));
    const b = Math.floor(((x - this.lo) / width) * this.p.bins);
    return b < 0 ? 0 : b >= this.p.bins ? this.p.bins - 1 : b;
  }

  /** The first of the two slots of `key`. */
  private slot(key: number): number {
    return (Math.imul(key, 0x9e3779b1) >>> this.shift) & this.mask;
  }

  /** Count of `key` so far; then counts this occurrence (evicting the less counted slot if new). */
  private see(key: number): number {
    const i = this.slot(key);
    const keys = this.keys;
    const counts = this.counts;
    let j = keys[i] === key ? i : keys[i + 1] === key ? i + 1 : -1;
    if (j >= 0) {
      const c = counts[j];
      counts[j] = c + 1;
      return c;
    }
    j = counts[i] <= counts[i + 1] ? i : i + 1;
    keys[j] = key;
    counts[j] = 1;
    return 0;
  }

  /** Halves every count; frees the slots that fall under the minimum. */
  private fade(): void {
    const counts = this.counts;
    for (let i = 0; i < counts.length; i++) {
      const c = counts[i] * 0.5;
      if (c < CONTEXT_MIN_COUNT) {
        counts[i] = 0;
        this.keys[i] = 0;
      } else counts[i] = c;
    }
  }

  update(x: number): number {
    const p = this.p;
    if (this.n === 0) {
      this.mean = this.lo = this.hi = x;
    } else {
      this.mean += Math.max(CONTEXT_MEAN_ALPHA, 1 / (this.n + 1)) * (x - this.mean);
      this.lo += CONTEXT_RANGE_DECAY * (this.mean - this.lo);
      this.hi += CONTEXT_RANGE_DECAY * (this.mean - this.hi);
    }
    this.expected = this.mean;
    // A value beyond the range has a level of its own (above: bins, below: bins + 1), so a spike
    // is not lost in the top level; then the range takes it in.
    const lv = this.n === 0 ? 0 : x > this.hi ? p.bins : x < this.lo ? p.bins + 1 : this.level(x);
    if (x < this.lo) this.lo = x;
    if (x > this.hi) this.hi = x;
    const len = Math.min(p.length, this.n + 1);
    this.hist = ((this.hist << 4) | lv) & ((1 << (4 * p.length)) - 1);
    this.n++;
    let novelty = 0;
    for (let k = 1; k <= len; k++) {
      // The key: the last k levels and k itself, never 0 (0 marks a free slot).
      const key = ((this.hist & ((1 << (4 * k)) - 1)) << 3) | k;
      novelty += 1 / (1 + this.see(key));
    }
    novelty /= len;
    if (this.n % this.keys.length === 0) this.fade();
    if (this.n <= p.likelihoodWarmup) return 0;
    return this.lik.update(novelty);
  }

  save(): DetectorState {
    return {
      n: this.n,
      mean: this.mean,
      lo: this.lo,
      hi: this.hi,
      hist: this.hist,
      keys: Array.from(this.keys),
      counts: Array.from(this.counts),
      lik: this.lik.save(),
    };
  }
}
