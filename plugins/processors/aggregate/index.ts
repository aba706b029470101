import { defineProcessor } from '../../../core/plugin/define.ts';
import { Aggregator } from './aggregate.ts';
import { aggregateConfig } from './config.ts';

/** The aggregate processor: windowed per-field statistics and quantiles per group of tags. */
export const aggregateProcessor = defineProcessor({
  name: 'aggregate',
  description:
    'Tumbling or hopping event-time windows with per-field statistics and DDSketch quantiles per tag group',
  config: aggregateConfig,
  create: (config, ctx) => new Aggregator(config, ctx),
});
