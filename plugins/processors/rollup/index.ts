import { defineProcessor } from '../../../core/plugin/define.ts';
import { rollupConfig } from './config.ts';
import { Rollup } from './rollup.ts';

/** The rollup processor: streaming event-time tiers (1 minute, 1 hour, ...) built by merging the finer ones. */
export const rollupProcessor = defineProcessor({
  name: 'rollup',
  description:
    'Streaming rollup tiers in event time (e.g. 1m then 1h): each tier merges the finer one, quantiles by merging DDSketches; late metrics within grace re-emit their window',
  config: rollupConfig,
  create: (config, ctx) => new Rollup(config, ctx),
});
