/**
 * Per-series state of the anomaly processor and the detector factory.
 */
import type { Tags } from '../../../core/model/metric/metric.ts';
import type { AnomalyConfig } from './config.ts';
import {
  AdaptiveDetector,
  ContextualDetector,
  EwmaDetector,
  HoltWintersDetector,
  RobustDetector,
  type Detector,
  type DetectorState,
} from './detectors.ts';
import { scoreOf, type Calibrator } from './score.ts';
import { TailDetector } from './tail.ts';
import { ShiftDetector } from './shift.ts';
import { EnsembleDetector } from './ensemble.ts';
import type { FieldMap } from '../../../core/model/metric/series-index.ts';

/** State of one series and field. */
export interface FieldState {
  det: Detector;
  calib: Calibrator | null;
  /** Sample number (det.n) of the last flag. */
  lastFlag: number;
}

/** State of one series. */
export interface SeriesState {
  name: string;
  tags: Tags;
  fields: FieldMap<FieldState>;
  /** Wall-clock milliseconds when the series was last seen. */
  seen: number;
}

/** A detector as configured, fresh or restored from a saved state. */
export function makeDetector(
  cfg: AnomalyConfig,
  state?: DetectorState,
  before: readonly Detector[] = [],
): Detector {
  switch (cfg.detector) {
    case 'adaptive':
      return new AdaptiveDetector(
        {
          seasonWindow: cfg.season_window,
          timeAware: cfg.season_clock === 'time',
          likelihoodWarmup: cfg.warmup,
          ewma: { alpha: cfg.ewma_alpha, clip: cfg.clip },
          hw: {
            alpha: cfg.hw_alpha,
            beta: cfg.hw_beta,
            gamma: cfg.hw_gamma,
            errorAlpha: cfg.hw_spread_alpha,
            clip: cfg.clip,
          },
          rawScore: scoreOf,
        },
        state,
      );
    case 'contextual':
      return new ContextualDetector(
        {
          bins: cfg.context_bins,
          length: cfg.context_length,
          slots: cfg.context_slots,
          likelihoodWarmup: cfg.warmup,
        },
        state,
      );
    case 'tail':
      return new TailDetector(
        {
          window: cfg.tail_window,
          log: cfg.tail_log,
          likelihood: cfg.tail_likelihood,
          likelihoodWarmup: cfg.warmup,
        },
        state,
      );
    case 'shift':
      return new ShiftDetector(
        {
          window: cfg.shift_window,
          recent: cfg.shift_recent,
          memory: cfg.shift_memory,
          likelihoodWarmup: cfg.warmup,
        },
        state,
        // In an ensemble, the window of a tail part before it holds the same history: shared.
        before.find((d): d is TailDetector => d instanceof TailDetector && d.window === cfg.shift_window),
      );
    case 'ensemble':
      return new EnsembleDetector(
        {
          parts: cfg.ensemble_parts.map((name) => ({
            name,
            make: (s: DetectorState | undefined, before: readonly Detector[]) =>
              makeDetector({ ...cfg, detector: name }, s, before),
            calibrate: cfg.calibrate === 'on' || (cfg.calibrate === 'auto' && name === 'robust'),
          })),
          combine: cfg.ensemble_combine,
          warmup: cfg.warmup,
        },
        state,
      );
    case 'ewma':
      return new EwmaDetector({ alpha: cfg.ewma_alpha, clip: cfg.clip }, state);
    case 'robust':
      return new RobustDetector({ window: cfg.robust_window }, state);
    case 'holt_winters':
      return new HoltWintersDetector(
        {
          period: cfg.season,
          alpha: cfg.hw_alpha,
          beta: cfg.hw_beta,
          gamma: cfg.hw_gamma,
          errorAlpha: cfg.hw_spread_alpha,
          clip: cfg.clip,
        },
        state,
      );
  }
}
