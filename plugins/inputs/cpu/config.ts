import { z } from 'zod';
import { hostProcOption } from '../../../core/lib/host/root.ts';

/** Config of the cpu input. */
export const cpuConfig = z.strictObject({
  percpu: z.boolean().default(true).describe('Report each CPU (cpu=cpu0, cpu1, ...).'),
  totalcpu: z.boolean().default(true).describe('Report the sum of all CPUs (cpu=cpu-total).'),
  collect_cpu_time: z
    .boolean()
    .default(false)
    .describe('Also report the cumulative time of each state in seconds (time_* fields).'),
  report_active: z
    .boolean()
    .default(false)
    .describe('Also report usage_active (and time_active): every state but idle and iowait.'),
  host_proc: hostProcOption,
});

export type CpuConfig = z.output<typeof cpuConfig>;
