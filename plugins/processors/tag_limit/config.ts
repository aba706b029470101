import { z } from 'zod';
import { duration } from '../../../core/config/duration.ts';

/** Config of the tag_limit processor. */
export const tagLimitConfig = z
  .strictObject({
    limit: z.number().int().min(0).default(0).describe('Most tags a metric keeps (0 = no limit).'),
    keep: z
      .array(z.string().min(1))
      .default([])
      .describe('Tags kept first when trimming to limit; the rest fill up in key order.'),
    max_values_per_tag: z
      .number()
      .int()
      .min(0)
      .default(0)
      .describe('Distinct values remembered per tag key; later new values overflow (0 = no cap).'),
    value_limit_tags: z
      .array(z.string())
      .default(['*'])
      .describe('Tag keys (globs) the value cap applies to.'),
    overflow: z
      .enum(['replace', 'drop_tag', 'drop_metric'])
      .default('replace')
      .describe(
        'What an overflowing value does: "replace" it with overflow_value, drop the tag, or drop the metric.',
      ),
    overflow_value: z.string().min(1).default('other').describe('Replacement of overflowing values.'),
    reset_interval: duration
      .prefault('0s')
      .describe('Forget the distinct values this often, so new ones get room again (0s = never).'),
  })
  .refine((c) => c.limit === 0 || c.keep.length <= c.limit, {
    message: 'keep lists more tags than limit allows',
  });

/** The parsed config of the tag_limit processor. */
export type TagLimitConfig = z.output<typeof tagLimitConfig>;
