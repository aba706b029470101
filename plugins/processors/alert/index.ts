import { defineProcessor } from '../../../core/plugin/define.ts';
import { AlertProcessor } from './alert.ts';
import { alertConfig } from './config.ts';

/** The alert processor: threshold or condition rules with for, keep_firing_for and hysteresis, emitting alert events. */
export const alertProcessor = defineProcessor({
  name: 'alert',
  description:
    'Alert rules (threshold levels with hysteresis, or a condition) with for and keep_firing_for, emitting alert events',
  config: alertConfig,
  create: (config, ctx) => new AlertProcessor(config, ctx),
});
