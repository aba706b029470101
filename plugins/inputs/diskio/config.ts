import { z } from 'zod';
import { hostProcOption } from '../../../core/lib/host/root.ts';

/** Config of the diskio input. */
export const diskioConfig = z.strictObject({
  devices: z
    .array(z.string())
    .default([])
    .describe('Report only these devices; globs allowed, e.g. ["sda", "nvme*"] (empty = every device).'),
  host_proc: hostProcOption,
});

export type DiskioConfig = z.output<typeof diskioConfig>;
