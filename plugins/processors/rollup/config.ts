import { z } from 'zod';
import { duration } from '../../../core/config/duration.ts';
import { STATS } from '../../../core/lib/stats/field-stats.ts';

/** Config of the rollup processor. */
export const rollupConfig = z
  .strictObject({
    tiers: z
      .array(duration)
      .min(1)
      .prefault(['1m'])
      .describe(
        'Window lengths from the finest to the one emitted, e.g. ["1m", "1h"]: the last is emitted, built by merging the windows before it (each a whole multiple of the previous).',
      ),
    grace: duration
      .prefault('1m')
      .describe(
        'How long after a window ends (in event time: the newest metric time seen) a late metric still updates it; the window is emitted again.',
      ),
    group_by: z
      .array(z.string())
      .default(['*'])
      .describe(
        'Tag keys to group by; ["*"] groups by all tags (one group per series). Other tags are dropped.',
      ),
    fields: z.array(z.string()).default(['*']).describe('Numeric fields to roll up (globs).'),
    stats: z
      .array(z.enum(STATS))
      .default(['count', 'sum', 'min', 'max', 'mean'])
      .describe(
        'Statistics per field (as the aggregate processor): count, sum, min, max, mean, stddev, first, last, rate, counter_rate.',
      ),
    quantiles: z
      .array(z.number().min(0).max(1))
      .default([0.5, 0.9, 0.99])
      .describe(
        'Quantiles per field from a DDSketch merged along the tiers, e.g. [0.5, 0.99] gives <field>_p50 and <field>_p99.',
      ),
    relative_accuracy: z
      .number()
      .gt(0)
      .lt(1)
      .default(0.01)
      .describe('Relative error bound of the quantiles (0.01 = within 1% of the sample value at that rank).'),
    timestamp: z
      .enum(['start', 'end'])
      .default('start')
      .describe('Timestamp of a rolled-up window: its start (as InfluxQL GROUP BY time) or its end.'),
    max_series: z
      .number()
      .int()
      .positive()
      .default(100_000)
      .describe(
        'Most groups with an open window; metrics of further groups are counted as overflow and not rolled up.',
      ),
    name_suffix: z.string().default('').describe('Appended to the measurement name of the rollups.'),
  })
  .refine((c) => c.tiers.every((t) => t > 0 && Number.isInteger(t)), {
    message: 'every tier must be a positive whole number of milliseconds',
    path: ['tiers'],
  })
  .refine((c) => c.tiers.every((t, i) => i === 0 || t % c.tiers[i - 1] === 0), {
    message: 'each tier must be a whole multiple of the one before it',
    path: ['tiers'],
  });

export type RollupConfig = z.output<typeof rollupConfig>;
