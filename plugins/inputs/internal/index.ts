import { z } from 'zod';
import { defineInput } from '../../../core/plugin/define.ts';
import { Internal } from './internal.ts';

/** The internal input: VIVA's self-metrics as metrics. */
export const internalInput = defineInput({
  name: 'internal',
  description: "VIVA's own self-metrics and process memory as metrics",
  config: z.strictObject({
    collect_memstats: z.boolean().default(true).describe('Also report process memory (viva_process).'),
  }),
  create: (config, ctx) => new Internal(config.collect_memstats, ctx),
});
