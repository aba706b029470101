import { defineInput } from '../../../core/plugin/define.ts';
import { swapConfig } from './config.ts';
import { Swap } from './swap.ts';

/** The swap input: swap space and swap traffic from /proc/meminfo and /proc/vmstat. */
export const swapInput = defineInput({
  name: 'swap',
  description:
    'Swap space (total, used, free) and bytes swapped in and out, from /proc/meminfo and /proc/vmstat',
  config: swapConfig,
  create: (config, ctx) => new Swap(config, ctx),
});
