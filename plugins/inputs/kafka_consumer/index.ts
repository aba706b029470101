import { createParser, formatOptions } from '../../../core/format/registry.ts';
import { defineInput } from '../../../core/plugin/define.ts';
import { kafkaConsumerConfig } from './config.ts';
import { KafkaConsumerInput } from './kafka_consumer.ts';

/** The kafka_consumer input. */
export const kafkaConsumerInput = defineInput({
  name: 'kafka_consumer',
  description: 'Consumes metrics from Kafka topics in a consumer group; offsets committed after delivery',
  config: kafkaConsumerConfig,
  create: (config, ctx) =>
    new KafkaConsumerInput(config, createParser(config.data_format, formatOptions(config)), ctx),
});
