import { z } from 'zod';
import { hostProcOption } from '../../../core/lib/host/root.ts';

/** Config of the system input. */
export const systemConfig = z.strictObject({
  host_proc: hostProcOption,
  host_var: z
    .string()
    .default('')
    .describe('Root of the var tree holding run/utmp (logged-in users); empty = $HOST_VAR or /var.'),
});

export type SystemConfig = z.output<typeof systemConfig>;
