import { z } from 'zod';
import { duration } from '../../../core/config/duration.ts';
import { childKeys } from '../../../core/lib/exec/child.ts';

/** Config of the execd processor. */
export const execdProcessorConfig = z.strictObject({
  ...childKeys,
  timeout: duration
    .prefault('5s')
    .describe('How long the child may take to answer a batch; then the batch passes on unchanged.'),
});

/** The parsed config of the execd processor. */
export type ExecdProcessorConfig = z.output<typeof execdProcessorConfig>;
