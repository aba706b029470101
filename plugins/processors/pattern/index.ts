import { defineProcessor } from '../../../core/plugin/define.ts';
import { patternConfig } from './config.ts';
import { PatternMatcher } from './pattern.ts';

/** The pattern processor: sequence, absence, count and deadman patterns keyed by tags, emitting pattern_match events. */
export const patternProcessor = defineProcessor({
  name: 'pattern',
  description:
    'Complex event patterns keyed by tags (sequence, absence, count, deadman) emitting pattern_match events',
  config: patternConfig,
  create: (config, ctx) => new PatternMatcher(config, ctx),
});
