import { defineProcessor } from '../../../core/plugin/define.ts';
import { expressionConfig } from './config.ts';
import { Expression } from './expression.ts';

/** The expression processor: computed fields from a small safe expression language. */
export const expressionProcessor = defineProcessor({
  name: 'expression',
  description: 'Set computed fields from expressions over name, tags, fields and time',
  config: expressionConfig,
  create: (config, ctx) => new Expression(config, ctx),
});
