import { defineProcessor } from '../../../core/plugin/define.ts';
import { renameConfig } from './config.ts';
import { Rename } from './rename.ts';

/** The rename processor: replaces measurement names, tag keys and field keys. */
export const renameProcessor = defineProcessor({
  name: 'rename',
  description: 'Rename measurements, tag keys and field keys',
  config: renameConfig,
  create: (config) => new Rename(config),
});
