import { defineProcessor } from '../../../core/plugin/define.ts';
import { execdProcessorConfig } from './config.ts';
import { ExecdProcessor } from './execd.ts';

/** The execd processor: batches through a long-running program as line protocol, in any language. */
export const execdProcessor = defineProcessor({
  name: 'execd',
  description:
    'Pipes batches through a long-lived program as line protocol on stdin/stdout (restarted with backoff)',
  config: execdProcessorConfig,
  create: (config, ctx) => new ExecdProcessor(config, ctx),
});
