import { defineProcessor } from '../../../core/plugin/define.ts';
import { tagsConfig } from './config.ts';
import { Tags } from './tags.ts';

/** The tags processor: add, overwrite, remove tags, and add tags from environment variables. */
export const tagsProcessor = defineProcessor({
  name: 'tags',
  description: 'Add, overwrite and remove tags, and add tags from environment variables',
  config: tagsConfig,
  create: (config, ctx) => new Tags(config, ctx),
});
