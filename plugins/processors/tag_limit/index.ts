import { defineProcessor } from '../../../core/plugin/define.ts';
import { tagLimitConfig } from './config.ts';
import { TagLimit } from './tag_limit.ts';

/** The tag_limit processor: caps tags per metric and distinct values per tag key. */
export const tagLimitProcessor = defineProcessor({
  name: 'tag_limit',
  description: 'Cardinality guard: cap the tags per metric and the distinct values per tag key',
  config: tagLimitConfig,
  create: (config, ctx) => new TagLimit(config, ctx),
});
