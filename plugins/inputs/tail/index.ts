import { defineInput } from '../../../core/plugin/define.ts';
import { tailConfig } from './config.ts';
import { TailInput } from './tail.ts';

/** The tail input: follows files through rotation and truncation and parses their lines. */
export const tailInput = defineInput({
  name: 'tail',
  description: 'Follows files (globs) through rotation and truncation, remembering positions across restarts',
  config: tailConfig,
  create: (config, ctx) => new TailInput(config, ctx),
});
