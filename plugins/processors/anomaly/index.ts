import { defineProcessor } from '../../../core/plugin/define.ts';
import { AnomalyProcessor } from './anomaly.ts';
import { anomalyConfig } from './config.ts';

/** The anomaly processor: streaming per-series detectors (an ensemble of them by default) that score and flag samples. */
export const anomalyProcessor = defineProcessor({
  name: 'anomaly',
  description:
    'Streaming anomaly detection per series and field (ensemble: the mean score of adaptive, tail and shift; adaptive: EWMA or Holt-Winters with a detected season plus anomaly likelihood; tail: rank among the recent samples; shift: the recent distribution against remembered ones; EWMA z-score, rolling median/MAD, Holt-Winters, contextual) with scores and flags',
  config: anomalyConfig,
  create: (config, ctx) => new AnomalyProcessor(config, ctx),
});
