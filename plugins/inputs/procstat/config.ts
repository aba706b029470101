import { z } from 'zod';
import { hostProcOption, hostSysOption } from '../../../core/lib/host/root.ts';

const isRegex = (s: string): boolean => {
  try {
    new RegExp(s);
    return true;
  } catch {
    return false;
  }
};

const regex = (what: string): z.ZodDefault<z.ZodString> =>
  z.string().refine(isRegex, { message: 'invalid regular expression' }).default('').describe(what);

/** Keys that select processes; at most one may be set (none = VIVA's own process). */
export const SELECTORS = ['pid_file', 'exe', 'pattern', 'cgroup'] as const;

/** Config of the procstat input. */
export const procstatConfig = z
  .strictObject({
    pid_file: z
      .string()
      .default('')
      .describe(
        'Select the process whose pid is written in this file. Set at most one of pid_file, exe, pattern and ' +
          'cgroup; with none, VIVA reports its own process.',
      ),
    exe: regex('Select processes whose name (comm) matches this regular expression, like pgrep.'),
    pattern: regex('Select processes whose command line matches this regular expression, like pgrep -f.'),
    cgroup: z
      .string()
      .default('')
      .describe(
        'Select the processes of a cgroup: a path under /sys/fs/cgroup or an absolute path, globs allowed, ' +
          'e.g. "system.slice/nginx.service".',
      ),
    process_name: z
      .string()
      .default('')
      .describe('Value of the process_name tag (empty = the name of each process).'),
    prefix: z
      .string()
      .default('')
      .describe('Prefix of the field names of the procstat metric: "<prefix>_cpu_usage".'),
    pid_tag: z
      .boolean()
      .default(false)
      .describe(
        'Tag each metric with the pid instead of a pid field (a new series per process; mind cardinality).',
      ),
    cmdline_tag: z.boolean().default(false).describe('Tag each metric with the full command line.'),
    host_proc: hostProcOption,
    host_sys: hostSysOption,
  })
  .superRefine((cfg, ctx) => {
    const set = SELECTORS.filter((k) => cfg[k] !== '');
    if (set.length > 1) {
      ctx.addIssue({
        code: 'custom',
        message: `set at most one of ${SELECTORS.join(', ')} (got ${set.join(', ')})`,
      });
    }
  });

export type ProcstatConfig = z.output<typeof procstatConfig>;
