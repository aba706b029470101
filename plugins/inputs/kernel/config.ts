import { z } from 'zod';
import { hostProcOption } from '../../../core/lib/host/root.ts';

/** Config of the kernel input. */
export const kernelConfig = z.strictObject({
  host_proc: hostProcOption,
});

export type KernelConfig = z.output<typeof kernelConfig>;
