import { z } from 'zod';
import { duration } from '../../../core/config/duration.ts';
import { dataFormatConfigShape, seriesCacheConfigShape } from '../../../core/format/registry.ts';
import { checkSasl, kafkaConnectionKeys } from '../../../core/lib/kafka/connection.ts';

/** Config of the kafka_consumer input. */
export const kafkaConsumerConfig = z
  .strictObject({
    ...kafkaConnectionKeys,
    topics: z
      .array(z.string().min(1))
      .meta({ example: ['viva-metrics'] })
      .describe('Topics to consume (may be empty when topic_pattern is set).'),
    topic_pattern: z
      .string()
      .optional()
      .describe('Also consume every topic whose name matches this regular expression (e.g. "^metrics\\.").'),
    topic_refresh_interval: duration
      .prefault('1m')
      .describe('How often topics matching topic_pattern are looked up again.'),
    consumer_group: z
      .string()
      .min(1)
      .default('viva')
      .describe('Consumer group; members share the partitions.'),
    offset: z
      .enum(['oldest', 'newest'])
      .default('oldest')
      .describe('Where a group without committed offsets starts reading.'),
    start_at_time: z
      .string()
      .optional()
      .refine((s) => s === undefined || !Number.isNaN(Date.parse(s)), 'not an RFC 3339 date')
      .describe(
        'A new group (no committed offsets on these topics) starts at the first records at or after this time (RFC 3339; ListOffsets by timestamp) instead of `offset`; a group that has offsets resumes from them.',
      ),
    ...dataFormatConfigShape,
    ...seriesCacheConfigShape,
    topic_tag: z.string().optional().describe('Tag each metric with the topic it came from under this key.'),
    max_undelivered_messages: z
      .number()
      .int()
      .positive()
      .default(1000)
      .describe('Stop fetching while this many messages wait for delivery to the outputs.'),
    on_undelivered: z
      .enum(['commit', 'reread'])
      .default('commit')
      .describe(
        'A batch the pipeline could not take: commit it anyway (an agent whose buffer dropped it on purpose) or read it again from the committed offsets (a collector whose spool could not write it: disk full, I/O error).',
      ),
    session_timeout: duration
      .prefault('10s')
      .describe("Time after which the group gives a silent member's partitions to the others."),
    heartbeat_interval: duration.prefault('3s').describe('Heartbeat period towards the group coordinator.'),
    fetch_max_wait: duration
      .prefault('500ms')
      .describe('Longest time a fetch waits on the broker for new data.'),
  })
  .superRefine(checkSasl)
  .superRefine((cfg, ctx) => {
    if (cfg.topics.length === 0 && cfg.topic_pattern === undefined) {
      ctx.addIssue({ code: 'custom', path: ['topics'], message: 'set topics or topic_pattern' });
    }
    if (cfg.topic_pattern !== undefined) {
      try {
        new RegExp(cfg.topic_pattern);
      } catch (e) {
        ctx.addIssue({
          code: 'custom',
          path: ['topic_pattern'],
          message: `invalid regular expression: ${(e as Error).message}`,
        });
      }
    }
  });

export type KafkaConsumerConfig = z.output<typeof kafkaConsumerConfig>;
