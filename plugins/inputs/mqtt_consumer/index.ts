import { createParser, formatOptions } from '../../../core/format/registry.ts';
import { defineInput } from '../../../core/plugin/define.ts';
import { mqttConsumerConfig } from './config.ts';
import { MqttConsumerInput } from './mqtt_consumer.ts';
import { ValueParser } from './value.ts';

/** The mqtt_consumer input. */
export const mqttConsumerInput = defineInput({
  name: 'mqtt_consumer',
  description:
    'Subscribes to MQTT topics (3.1.1/5, QoS 0-2, persistent sessions); QoS 1 acknowledged after delivery',
  config: mqttConsumerConfig,
  create: (config, ctx) =>
    new MqttConsumerInput(
      config,
      config.data_format === 'value'
        ? new ValueParser(config.data_type, config.value_field_name)
        : createParser(config.data_format, formatOptions(config)),
      ctx,
    ),
});
