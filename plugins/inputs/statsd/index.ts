import { defineInput } from '../../../core/plugin/define.ts';
import { statsdConfig } from './config.ts';
import { StatsdInput } from './statsd.ts';

/** The statsd input: a statsd/DogStatsD server aggregating counters, gauges, timings and sets. */
export const statsdInput = defineInput({
  name: 'statsd',
  description:
    'A statsd and DogStatsD server (UDP or TCP) that aggregates values and emits them on each gather',
  config: statsdConfig,
  create: (config, ctx) => new StatsdInput(config, ctx),
});
