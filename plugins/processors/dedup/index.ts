import { defineProcessor } from '../../../core/plugin/define.ts';
import { dedupConfig } from './config.ts';
import { Dedup } from './dedup.ts';

/** The dedup processor: suppresses unchanged metrics of a series within an interval. */
export const dedupProcessor = defineProcessor({
  name: 'dedup',
  description:
    'Suppress metrics whose fields did not change since the last one of their series, within an interval',
  config: dedupConfig,
  create: (config, ctx) => new Dedup(config, ctx),
});
