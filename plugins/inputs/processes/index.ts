import { defineInput } from '../../../core/plugin/define.ts';
import { processesConfig } from './config.ts';
import { Processes } from './processes.ts';

/** The processes input: processes by state and their thread count. */
export const processesInput = defineInput({
  name: 'processes',
  description:
    'Processes by state (running, sleeping, blocked, zombies, ...) and their threads, from /proc/[pid]/stat',
  config: processesConfig,
  create: (config, ctx) => new Processes(config, ctx),
});
