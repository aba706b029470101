import { z } from 'zod';
import { dataFormatConfigShape } from '../../../core/format/registry.ts';
import { mqttConnectionKeys } from '../../../core/lib/mqtt/connection.ts';

/** Config of the mqtt output. */
export const mqttOutputConfig = z.strictObject({
  ...mqttConnectionKeys,
  topic: z
    .string()
    .min(1)
    .default('viva/{tag:host}/{name}')
    .describe('Topic template: {name} is the metric name, {tag:KEY} a tag value (empty when absent).'),
  qos: z
    .union([z.literal(0), z.literal(1), z.literal(2)])
    .default(1)
    .describe('Publish QoS; with 1 or 2 a write succeeds once the broker has every message.'),
  retain: z.boolean().default(false).describe('Publish with the retain flag.'),
  batch: z
    .boolean()
    .default(false)
    .describe('Publish the metrics of one topic together in one message instead of one message per metric.'),
  ...dataFormatConfigShape,
});

export type MqttOutputConfig = z.output<typeof mqttOutputConfig>;
