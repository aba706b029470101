import { defineInput } from '../../../core/plugin/define.ts';
import { prometheusConfig } from './config.ts';
import { PrometheusInput } from './prometheus.ts';

/** The prometheus input: scrapes Prometheus exposition text from HTTP endpoints. */
export const prometheusInput = defineInput({
  name: 'prometheus',
  description:
    'Scrapes Prometheus exposition text (counters, gauges, histograms, summaries) from HTTP endpoints',
  config: prometheusConfig,
  create: (config, ctx) => new PrometheusInput(config, ctx),
});
