import { defineProcessor } from '../../../core/plugin/define.ts';
import { lookupConfig } from './config.ts';
import { loadTable, Lookup } from './lookup.ts';

/** The lookup processor: adds tags from a CSV or JSON table keyed by tag values. */
export const lookupProcessor = defineProcessor({
  name: 'lookup',
  description: 'Add tags from a CSV or JSON table keyed by tag values, reloaded when the file changes',
  config: lookupConfig,
  create: async (config, ctx) => new Lookup(config, ctx, await loadTable(config)),
});
