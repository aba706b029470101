import { defineInput } from '../../../core/plugin/define.ts';
import { execConfig } from './config.ts';
import { ExecInput } from './exec.ts';

/** The exec input: runs commands and parses their output as line protocol or JSON. */
export const execInput = defineInput({
  name: 'exec',
  description: 'Runs commands (argv, no shell) and parses their stdout as line protocol or JSON',
  config: execConfig,
  create: (config, ctx) => new ExecInput(config, ctx),
});
