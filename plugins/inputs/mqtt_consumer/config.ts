import { z } from 'zod';
import {
  dataFormatConfigShape,
  seriesCacheConfigShape,
  dataFormatSchema,
} from '../../../core/format/registry.ts';
import { mqttConnectionKeys } from '../../../core/lib/mqtt/connection.ts';

const topicParsingRule = z.strictObject({
  topic: z.string().min(1).describe('Topic filter the rule applies to (+ and # wildcards).'),
  measurement: z
    .string()
    .optional()
    .describe('Segment pattern naming the measurement, e.g. "_/measurement/_".'),
  tags: z.string().optional().describe('Segment pattern of tags, e.g. "_/site/_/device".'),
  fields: z.string().optional().describe('Segment pattern of fields, e.g. "_/_/_/zone".'),
  types: z
    .record(z.string(), z.enum(['int', 'float', 'bool', 'string']))
    .default({})
    .describe('Types of the fields taken from the topic (default string).'),
});

/** One topic_parsing rule. */
export type TopicParsingRule = z.output<typeof topicParsingRule>;

/** Config of the mqtt_consumer input. */
export const mqttConsumerConfig = z
  .strictObject({
    ...mqttConnectionKeys,
    topics: z
      .array(z.string().min(1))
      .min(1)
      .meta({ example: ['sensors/#'] })
      .describe('Topic filters to subscribe to (+ and # wildcards).'),
    qos: z
      .union([z.literal(0), z.literal(1), z.literal(2)])
      .default(1)
      .describe('Subscription QoS. With 1, a message is acknowledged only once the outputs have it.'),
    persistent_session: z
      .boolean()
      .default(false)
      .describe(
        'Keep the session (subscriptions and unacknowledged messages) across reconnects and restarts; needs client_id.',
      ),
    session_expiry: z
      .number()
      .int()
      .min(0)
      .default(86_400)
      .describe('MQTT 5: seconds the broker keeps a persistent session after a disconnect.'),
    max_undelivered_messages: z
      .number()
      .int()
      .positive()
      .default(1000)
      .describe('Stop reading while this many messages wait for delivery to the outputs.'),
    ...dataFormatConfigShape,
    ...seriesCacheConfigShape,
    data_format: z
      .union([dataFormatSchema, z.literal('value')])
      .default('influx')
      .describe('Payload format: influx (line protocol), json, or value (one plain value per message).'),
    data_type: z
      .enum(['float', 'integer', 'string', 'boolean'])
      .default('float')
      .describe('Type of the plain value when data_format = "value".'),
    value_field_name: z.string().min(1).default('value').describe('Field name of the plain value.'),
    topic_tag: z.string().default('topic').describe('Tag holding the message topic; "" leaves it out.'),
    topic_parsing: z
      .array(topicParsingRule)
      .default([])
      .describe('Rules taking topic segments into measurement, tags and fields.'),
  })
  .superRefine((cfg, ctx) => {
    if (cfg.persistent_session && cfg.client_id === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['client_id'],
        message: 'persistent_session needs a fixed client_id',
      });
    }
  });

export type MqttConsumerConfig = z.output<typeof mqttConsumerConfig>;
