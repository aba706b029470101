import { z } from 'zod';
import { duration } from '../../../core/config/duration.ts';
import { STATS } from '../../../core/lib/stats/field-stats.ts';

/** Config of the aggregate processor. */
export const aggregateConfig = z
  .strictObject({
    period: duration
      .prefault('30s')
      .describe('Window length; windows are aligned to multiples of it since the epoch.'),
    every: duration
      .prefault('0s')
      .describe(
        'Hop between window starts for hopping windows (at most period); 0 = period (tumbling windows).',
      ),
    grace: duration
      .prefault('0s')
      .describe('How long a window stays open after its end for late metrics (by the processor clock).'),
    group_by: z
      .array(z.string())
      .default(['*'])
      .describe(
        'Tag keys to group by; ["*"] groups by all tags (one group per series). Other tags are dropped.',
      ),
    fields: z.array(z.string()).default(['*']).describe('Numeric fields to aggregate (globs).'),
    stats: z
      .array(z.enum(STATS))
      .default(['count', 'min', 'max', 'mean', 'stddev'])
      .describe(
        'Statistics per field: count, sum, min, max, mean, stddev, first, last, rate (sum per second of window), counter_rate ((last - first) per second between their times).',
      ),
    quantiles: z
      .array(z.number().min(0).max(1))
      .default([])
      .describe('Quantiles per field from a DDSketch, e.g. [0.5, 0.99] gives <field>_p50 and <field>_p99.'),
    relative_accuracy: z
      .number()
      .gt(0)
      .lt(1)
      .default(0.01)
      .describe(
        'Relative error bound of the quantiles (0.01 = each quantile within 1% of a true sample value).',
      ),
    timestamp: z
      .enum(['end', 'start'])
      .default('end')
      .describe('Timestamp of an aggregate: the window end or start.'),
    late: z
      .enum(['drop', 'pass'])
      .default('drop')
      .describe('A metric whose window already closed is counted and then dropped, or passed on unchanged.'),
    drop_original: z
      .boolean()
      .default(false)
      .describe('Drop the metrics that were aggregated instead of passing them on.'),
    max_series: z
      .number()
      .int()
      .positive()
      .default(100_000)
      .describe(
        'Most live groups (with an open window or data within the last period); metrics of further groups are counted as overflow and not aggregated.',
      ),
    name_suffix: z.string().default('').describe('Appended to the measurement name of the aggregates.'),
  })
  .refine((c) => c.period > 0, { message: 'period must be positive', path: ['period'] })
  .refine((c) => c.every <= c.period, { message: 'every must not exceed period', path: ['every'] });

export type AggregateConfig = z.output<typeof aggregateConfig>;
