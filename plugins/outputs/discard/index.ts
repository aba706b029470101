import { z } from 'zod';
import { defineOutput } from '../../../core/plugin/define.ts';

/** The discard output: accepts and forgets every batch (benchmarks, tests). */
export const discardOutput = defineOutput({
  name: 'discard',
  description: 'Accepts every metric and drops it (benchmarks and tests)',
  config: z.strictObject({}),
  // Binary batches from the collector are not even decoded.
  create: () => ({ write: async () => undefined, writeBinary: async () => undefined }),
});
