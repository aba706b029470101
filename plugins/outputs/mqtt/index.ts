import { createSerializer, formatOptions } from '../../../core/format/registry.ts';
import { defineOutput } from '../../../core/plugin/define.ts';
import { mqttOutputConfig } from './config.ts';
import { MqttOutput } from './mqtt.ts';

/** The mqtt output. */
export const mqttOutput = defineOutput({
  name: 'mqtt',
  description: 'Publishes metrics to MQTT topics from a template (3.1.1/5, QoS 0-2, retain, batches)',
  config: mqttOutputConfig,
  create: (config, ctx) =>
    new MqttOutput(config, createSerializer(config.data_format, formatOptions(config)), ctx),
});
