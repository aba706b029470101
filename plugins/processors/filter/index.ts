import { defineProcessor } from '../../../core/plugin/define.ts';
import { filterConfig } from './config.ts';
import { Filter } from './filter.ts';

/** The filter processor: drops or keeps metrics by an expression. */
export const filterProcessor = defineProcessor({
  name: 'filter',
  description: 'Drop or keep metrics by an expression over name, tags, fields and time',
  config: filterConfig,
  create: (config) => new Filter(config),
});
