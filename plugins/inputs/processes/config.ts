import { z } from 'zod';
import { hostProcOption } from '../../../core/lib/host/root.ts';

/** Config of the processes input. */
export const processesConfig = z.strictObject({
  host_proc: hostProcOption,
});

export type ProcessesConfig = z.output<typeof processesConfig>;
