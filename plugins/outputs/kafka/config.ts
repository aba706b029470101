import { z } from 'zod';
import { size } from '../../../core/config/duration.ts';
import { dataFormatConfigShape } from '../../../core/format/registry.ts';
import { checkSasl, kafkaConnectionKeys } from '../../../core/lib/kafka/connection.ts';

/** Config of the kafka output. */
export const kafkaOutputConfig = z
  .strictObject({
    ...kafkaConnectionKeys,
    topic: z
      .string()
      .min(1)
      .meta({ example: 'viva-metrics' })
      .describe('Topic the messages are produced to.'),
    topic_tag: z
      .string()
      .optional()
      .describe('Produce a metric to the topic named by this tag when the metric has it (else `topic`).'),
    routing_tag: z
      .string()
      .optional()
      .describe('Key messages by the value of this tag when present (else by `routing_key`).'),
    routing_key: z
      .enum(['series', 'none'])
      .default('series')
      .describe('Message key: the series key (a series stays on one partition) or none (round robin).'),
    ...dataFormatConfigShape,
    batch_per_message: z
      .boolean()
      .default(false)
      .describe('Send the metrics of one key together in one message instead of one metric per message.'),
    max_message_bytes: size
      .prefault('1000000')
      .describe(
        'Largest message, and largest produce request of one write (the broker refuses record batches above its message.max.bytes).',
      ),
    compression: z
      .enum(['none', 'gzip', 'snappy', 'lz4', 'zstd'])
      .default('none')
      .describe('Record batch compression.'),
    acks: z
      .enum(['all', 'leader', 'none'])
      .default('all')
      .describe(
        'Replicas that must have a write before it counts: all (no loss on leader failure), leader or none.',
      ),
    idempotent: z
      .boolean()
      .default(true)
      .describe(
        'Idempotent producer (with acks = "all"): the broker drops the copies of a batch the client sends twice.',
      ),
  })
  .superRefine(checkSasl);

export type KafkaOutputConfig = z.output<typeof kafkaOutputConfig>;
