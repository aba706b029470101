import { defineInput } from '../../../core/plugin/define.ts';
import { procstatConfig } from './config.ts';
import { Procstat } from './procstat.ts';

/** The procstat input: CPU, memory and I/O of processes selected by pid file, name, command line or cgroup. */
export const procstatInput = defineInput({
  name: 'procstat',
  description:
    'CPU, memory and I/O of processes selected by pid file, name, command line or cgroup, from /proc',
  config: procstatConfig,
  create: (config, ctx) => new Procstat(config, ctx),
});
