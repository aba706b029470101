import { defineOutput } from '../../../core/plugin/define.ts';
import { execdOutputConfig } from './config.ts';
import { ExecdOutput } from './execd.ts';

/** The execd output: line protocol to a long-running program's stdin, in any language. */
export const execdOutput = defineOutput({
  name: 'execd',
  description: 'Writes batches as line protocol to a long-lived program on stdin (restarted with backoff)',
  config: execdOutputConfig,
  create: (config, ctx) => new ExecdOutput(config, ctx),
});
