import { defineInput } from '../../../core/plugin/define.ts';
import { kernelConfig } from './config.ts';
import { Kernel } from './kernel.ts';

/** The kernel input: interrupts, context switches, forks, boot time and entropy. */
export const kernelInput = defineInput({
  name: 'kernel',
  description: 'Kernel counters (interrupts, context switches, forks, boot time, entropy), from /proc/stat',
  config: kernelConfig,
  create: (config, ctx) => new Kernel(config, ctx),
});
