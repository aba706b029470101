import { defineOutput } from '../../../core/plugin/define.ts';
import { prometheusClientConfig } from './config.ts';
import { PrometheusClientOutput } from './prometheus_client.ts';

/** The prometheus_client output. */
export const prometheusClientOutput = defineOutput({
  name: 'prometheus_client',
  description:
    'Serves the latest metrics on an HTTP endpoint for Prometheus to scrape (counters, gauges, histograms)',
  config: prometheusClientConfig,
  create: (config, ctx) => new PrometheusClientOutput(config, ctx),
});
