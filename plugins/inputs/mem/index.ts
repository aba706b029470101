import { defineInput } from '../../../core/plugin/define.ts';
import { memConfig } from './config.ts';
import { Mem } from './mem.ts';

/** The mem input: system memory from /proc/meminfo. */
export const memInput = defineInput({
  name: 'mem',
  description: 'System memory (total, available, used, cached, ...) in bytes, from /proc/meminfo',
  config: memConfig,
  create: (config, ctx) => new Mem(config, ctx),
});
