import { defineOutput } from '../../../core/plugin/define.ts';
import { prometheusRemoteWriteConfig } from './config.ts';
import { PrometheusRemoteWriteOutput } from './prometheus_remote_write.ts';

/** The prometheus_remote_write output. */
export const prometheusRemoteWriteOutput = defineOutput({
  name: 'prometheus_remote_write',
  description:
    'Sends metrics to a Prometheus remote-write receiver (protobuf + snappy, sorted labels, ms timestamps)',
  config: prometheusRemoteWriteConfig,
  create: (config, ctx) => new PrometheusRemoteWriteOutput(config, ctx),
});
