import { defineInput } from '../../../core/plugin/define.ts';
import { systemConfig } from './config.ts';
import { System } from './system.ts';

/** The system input: load averages, CPU count, uptime and logged-in users. */
export const systemInput = defineInput({
  name: 'system',
  description: 'Load averages, CPU count, uptime and logged-in users, from /proc and utmp',
  config: systemConfig,
  create: (config, ctx) => new System(config, ctx),
});
