import { defineProcessor } from '../../../core/plugin/define.ts';
import { regexConfig } from './config.ts';
import { Regex } from './regex.ts';

/** The regex processor: rewrites names, tag and field keys and values with regular expressions. */
export const regexProcessor = defineProcessor({
  name: 'regex',
  description:
    'Rewrite measurement names, tag and field keys, tag and string field values with regular expressions',
  config: regexConfig,
  create: (config) => new Regex(config),
});
