import { z } from 'zod';
import { childKeys } from '../../../core/lib/exec/child.ts';

/** Config of the execd output. */
export const execdOutputConfig = z.strictObject({
  ...childKeys,
  precision: z
    .enum(['ns', 'us', 'ms', 's'])
    .default('ns')
    .describe('Timestamp precision of the lines written.'),
});

/** The parsed config of the execd output. */
export type ExecdOutputConfig = z.output<typeof execdOutputConfig>;
