import { z } from 'zod';
import { hostProcOption } from '../../../core/lib/host/root.ts';

/** Config of the mem input. */
export const memConfig = z.strictObject({
  host_proc: hostProcOption,
});

export type MemConfig = z.output<typeof memConfig>;
