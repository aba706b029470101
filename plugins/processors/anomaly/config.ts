import { z } from 'zod';
import { duration } from '../../../core/config/duration.ts';

/** Config of the anomaly processor. */
export const anomalyConfig = z.strictObject({
  detector: z
    .enum(['adaptive', 'ewma', 'robust', 'holt_winters', 'contextual', 'tail', 'shift', 'ensemble'])
    .default('ensemble')
    .describe(
      'ensemble (best held-out over the seven NAB categories: docs/ANOMALY.md): the detectors of ensemble_parts (adaptive, tail and shift) each score every sample, their scores combined by ensemble_combine (the mean); adaptive: ewma until season_window samples, then holt_winters with the season found by autocorrelation averaged with ewma (ewma alone when there is no season), scored by anomaly likelihood; ewma: z-score against an exponentially weighted mean and variance; robust: distance from the rolling median in MADs; holt_winters: seasonal forecast error with a fixed season; contextual: how novel the recent sequence of quantised levels is (in the spirit of CAD OSE), scored by anomaly likelihood; tail (for spiky counts): how improbable the value is under the empirical distribution of the last tail_window samples (its rank, the tail extrapolated beyond their extremes), no Gaussian assumed; shift (weak alone, made for an ensemble): whether the distribution of the last shift_recent values over five quantile bins of the last shift_window samples is unlike every distribution the series has had recently (in the spirit of NAB relativeEntropy), scored by anomaly likelihood.',
    ),
  fields: z
    .array(z.string())
    .default(['*'])
    .describe('Numeric fields to watch (globs); each series and field is scored on its own.'),
  mode: z
    .enum(['fields', 'events'])
    .default('fields')
    .describe(
      'fields: add <field>_anomaly_score and <field>_anomaly (and <field>_anomaly_reason when flagged) to the metric; events: emit a separate "anomaly" metric per flag.',
    ),
  threshold: z
    .number()
    .min(0)
    .max(1)
    .optional()
    .describe(
      "Score at or above which a sample is flagged (0.26 = 3 spreads, 0.5 = 4.4, 0.62 = 5, 0.87 = 6). Unset: the detector's own, the threshold the training folds of the NAB evaluation choose for it (docs/ANOMALY.md): ensemble 0.225, adaptive 0.365, ewma 0.55, robust 0.385, holt_winters 0.845, contextual 0.18, tail 0.29, shift 0.14.",
    ),
  warmup: z
    .number()
    .int()
    .min(0)
    .default(100)
    .describe('Samples per series and field before it may flag (scores are 0 until then).'),
  cooldown: z
    .number()
    .int()
    .min(0)
    .default(100)
    .describe(
      'Samples after a flag during which the same series and field does not flag again (scores go on).',
    ),
  calibrate: z
    .enum(['auto', 'on', 'off'])
    .default('auto')
    .describe(
      "Rescore each deviation against the series' own history of deviations (auto = on for robust, off otherwise).",
    ),
  ewma_alpha: z
    .number()
    .gt(0)
    .lt(1)
    .default(0.01)
    .describe('ewma: weight of a new sample in the mean and variance (2/(N+1) for an N-sample memory).'),
  clip: z
    .number()
    .gt(0)
    .default(4)
    .describe(
      'ewma and holt_winters: deviations beyond this many spreads are clipped before the model learns them.',
    ),
  robust_window: z
    .number()
    .int()
    .min(3)
    .max(100_000)
    .default(400)
    .describe('robust: samples in the rolling window.'),
  season: z
    .number()
    .int()
    .min(2)
    .max(100_000)
    .default(288)
    .describe('holt_winters: season length in samples (288 = one day of 5-minute samples).'),
  season_window: z
    .number()
    .int()
    .min(16)
    .max(100_000)
    .default(1000)
    .describe(
      'adaptive: samples buffered per series to detect the season by autocorrelation (seasons up to half of it are found).',
    ),
  season_clock: z
    .enum(['time', 'samples'])
    .default('time')
    .describe(
      'adaptive: count the season in steps of the sampling interval (the median interval of the buffered samples), so that missing, late or irregular samples keep their place in the season, or in samples (time is the best held-out on NAB: docs/ANOMALY.md).',
    ),
  context_bins: z
    .number()
    .int()
    .min(2)
    .max(14)
    .default(6)
    .describe(
      "contextual: levels the series' running range is cut into (values beyond the range have two levels of their own).",
    ),
  context_length: z
    .number()
    .int()
    .min(1)
    .max(6)
    .default(2)
    .describe('contextual: longest sequence of recent levels remembered as a context.'),
  context_slots: z
    .number()
    .int()
    .min(16)
    .max(1024)
    .default(256)
    .describe('contextual: contexts remembered per series and field (8 bytes each; old ones fade).'),
  tail_window: z
    .number()
    .int()
    .min(16)
    .max(4096)
    .default(512)
    .describe(
      'tail: recent samples per series and field whose distribution a value is ranked in (16 bytes each).',
    ),
  tail_log: z
    .boolean()
    .default(false)
    .describe(
      "tail: extrapolate beyond the window's extremes on log1p of the value (a power-law tail, for counts) instead of the value.",
    ),
  tail_likelihood: z
    .boolean()
    .default(false)
    .describe(
      'tail: pass the tail score through the anomaly likelihood (as adaptive does) instead of scoring it directly.',
    ),
  shift_window: z
    .number()
    .int()
    .min(16)
    .max(4096)
    .default(512)
    .describe(
      'shift: samples of history per series and field whose quantiles cut the values into five bins (16 bytes each).',
    ),
  shift_recent: z
    .number()
    .int()
    .min(10)
    .max(1000)
    .default(52)
    .describe(
      'shift: most recent values whose distribution over the bins is tested against the remembered ones.',
    ),
  shift_memory: z
    .number()
    .int()
    .min(1)
    .max(256)
    .default(16)
    .describe(
      'shift: distributions remembered per series and field (48 bytes each); the least matched is forgotten.',
    ),
  ensemble_parts: z
    .array(z.enum(['adaptive', 'ewma', 'robust', 'holt_winters', 'contextual', 'tail', 'shift']))
    .min(2)
    .max(4)
    .default(['adaptive', 'tail', 'shift'])
    .describe(
      'ensemble: the detectors (two to four, with their own options above) whose scores are combined; robust is calibrated as it is alone; shift after a tail part with the same window uses that window.',
    ),
  ensemble_combine: z
    .enum(['mean', 'max', 'vote'])
    .default('mean')
    .describe(
      "ensemble: mean of the parts' scores, their max (any part may flag), or vote (the second highest: at least two parts agree).",
    ),
  hw_alpha: z.number().gt(0).lt(1).default(0.2).describe('holt_winters: level smoothing.'),
  hw_beta: z.number().min(0).lt(1).default(0.001).describe('holt_winters: trend smoothing.'),
  hw_gamma: z.number().gt(0).lt(1).default(0.2).describe('holt_winters: seasonal smoothing.'),
  hw_spread_alpha: z
    .number()
    .gt(0)
    .lt(1)
    .default(0.005)
    .describe('holt_winters: smoothing of the forecast error variance.'),
  max_series: z
    .number()
    .int()
    .positive()
    .default(100_000)
    .describe('Most series tracked; metrics of further series pass unscored and are counted as overflow.'),
  expire_after: duration
    .prefault('1h')
    .describe(
      'Forget a series not seen for this long (by the processor clock); 0 keeps every series until max_series.',
    ),
  persist: z
    .boolean()
    .default(false)
    .describe(
      'Save the detectors of every series to the state directory (every persist_interval while they change, and on stop) and load them on start.',
    ),
  persist_interval: duration
    .prefault('30s')
    .refine((ms) => ms >= 100, 'persist_interval must be at least 100ms')
    .describe(
      'With persist, how often changed detectors are saved while running, so a crash loses at most this much.',
    ),
});

export type AnomalyConfig = z.output<typeof anomalyConfig>;

/**
 * The threshold of each detector when `threshold` is not set: the one the training folds of the
 * seven-category NAB evaluation choose for it (`npm run eval:nab-all`, docs/ANOMALY.md).
 */
export const DEFAULT_THRESHOLDS: Readonly<Record<AnomalyConfig['detector'], number>> = {
  adaptive: 0.365,
  ensemble: 0.225,
  ewma: 0.55,
  robust: 0.385,
  holt_winters: 0.845,
  contextual: 0.18,
  tail: 0.29,
  shift: 0.14,
};

/** The threshold in force: the configured one, or the detector's default. */
export function thresholdOf(cfg: AnomalyConfig): number {
  return cfg.threshold ?? DEFAULT_THRESHOLDS[cfg.detector];
}
