import { defineInput } from '../../../core/plugin/define.ts';
import { cpuConfig } from './config.ts';
import { Cpu } from './cpu.ts';

/** The cpu input: CPU usage per core and in total, from /proc/stat. */
export const cpuInput = defineInput({
  name: 'cpu',
  description: 'CPU usage per core and in total, in percent of the interval, from /proc/stat',
  config: cpuConfig,
  create: (config, ctx) => new Cpu(config, ctx),
});
