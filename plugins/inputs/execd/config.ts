import { z } from 'zod';
import { size } from '../../../core/config/duration.ts';
import { childKeys } from '../../../core/lib/exec/child.ts';

/** Config of the execd input. */
export const execdInputConfig = z.strictObject({
  ...childKeys,
  signal: z
    .enum(['none', 'STDIN', 'SIGHUP', 'SIGUSR1', 'SIGUSR2'])
    .default('none')
    .describe('Sent to the child at each gather interval: a newline on stdin, a signal, or nothing.'),
  precision: z
    .enum(['ns', 'us', 'ms', 's'])
    .default('ns')
    .describe('Precision of the timestamps the child writes.'),
  max_line_size: size
    .prefault('1MiB')
    .describe('Longest partial line buffered while waiting for its end; a longer line is rejected.'),
});

/** The parsed config of the execd input. */
export type ExecdInputConfig = z.output<typeof execdInputConfig>;
