import { defineInput } from '../../../core/plugin/define.ts';
import { prometheusRemoteWriteConfig } from './config.ts';
import { PrometheusRemoteWriteListener } from './prometheus_remote_write.ts';

/** The prometheus_remote_write input: a Prometheus remote write 1.0 receiver. */
export const prometheusRemoteWriteInput = defineInput({
  name: 'prometheus_remote_write',
  description: 'Receives Prometheus remote write 1.0 requests (protobuf, Snappy, auth) over HTTP',
  config: prometheusRemoteWriteConfig,
  create: (config, ctx) => new PrometheusRemoteWriteListener(config, ctx),
});
