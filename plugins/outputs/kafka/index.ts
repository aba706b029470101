import { createSerializer, formatOptions } from '../../../core/format/registry.ts';
import { defineOutput } from '../../../core/plugin/define.ts';
import { kafkaOutputConfig } from './config.ts';
import { KafkaOutput } from './kafka.ts';

/** The kafka output. */
export const kafkaOutput = defineOutput({
  name: 'kafka',
  description:
    'Produces metrics to a Kafka topic, keyed by series (line protocol or JSON, acks=all, SASL/TLS)',
  config: kafkaOutputConfig,
  create: (config, ctx) =>
    new KafkaOutput(config, createSerializer(config.data_format, formatOptions(config)), ctx),
});
