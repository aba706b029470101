import { defineProcessor } from '../../../core/plugin/define.ts';
import { converterConfig } from './config.ts';
import { Converter } from './converter.ts';

/** The converter processor: converts tags and fields between each other and between types. */
export const converterProcessor = defineProcessor({
  name: 'converter',
  description:
    'Convert tags to fields and fields to tags, change field types, set the measurement from a tag or field',
  config: converterConfig,
  create: (config, ctx) => new Converter(config, ctx),
});
