import { z } from 'zod';
import { hostProcOption } from '../../../core/lib/host/root.ts';

/** Config of the netstat input. */
export const netstatConfig = z.strictObject({
  host_proc: hostProcOption,
});

export type NetstatConfig = z.output<typeof netstatConfig>;
