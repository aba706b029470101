import { z } from 'zod';
import { duration } from '../../../core/config/duration.ts';

/** Config of the dedup processor. */
export const dedupConfig = z.strictObject({
  dedup_interval: duration
    .prefault('10m')
    .describe('Pass an unchanged metric again once this long has passed since its series last passed.'),
  max_series: z
    .number()
    .int()
    .positive()
    .default(100_000)
    .describe('Series remembered at most; beyond that the least recently passed series is forgotten.'),
});

/** The parsed config of the dedup processor. */
export type DedupConfig = z.output<typeof dedupConfig>;
