import { defineInput } from '../../../core/plugin/define.ts';
import { execdInputConfig } from './config.ts';
import { ExecdInput } from './execd.ts';

/** The execd input: line protocol from a long-running program's stdout, in any language. */
export const execdInput = defineInput({
  name: 'execd',
  description: 'Runs a long-lived program and reads line protocol from its stdout (restarted with backoff)',
  config: execdInputConfig,
  create: (config, ctx) => {
    const input = new ExecdInput(config, ctx);
    // Only prompted children need the gather schedule.
    if (config.signal !== 'none') return input;
    return { start: (acc) => input.start(acc), stop: () => input.stop() };
  },
});
