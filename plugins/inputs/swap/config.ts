import { z } from 'zod';
import { hostProcOption } from '../../../core/lib/host/root.ts';

/** Config of the swap input. */
export const swapConfig = z.strictObject({
  host_proc: hostProcOption,
});

export type SwapConfig = z.output<typeof swapConfig>;
