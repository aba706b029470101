import { defineOutput } from '../../../core/plugin/define.ts';
import { vivaConfig } from './config.ts';
import { VivaOutput } from './viva.ts';

/** The viva output: batches to VIVA collectors. */
export const vivaOutput = defineOutput({
  name: 'viva',
  description: 'Sends batches to VIVA collectors (binary or line protocol, gzip, failover, batch ids)',
  config: vivaConfig,
  create: (config, ctx) => new VivaOutput(config, ctx),
});
