import { defineProcessor } from '../../../core/plugin/define.ts';
import { enumConfig } from './config.ts';
import { Enum } from './enum.ts';

/** The enum processor: maps tag or field values through a value table. */
export const enumProcessor = defineProcessor({
  name: 'enum',
  description: 'Map tag or field values through a value table, with a default and a destination key',
  config: enumConfig,
  create: (config) => new Enum(config),
});
