import { defineInput } from '../../../core/plugin/define.ts';
import { httpInputConfig } from './config.ts';
import { HttpInput } from './http.ts';

/** The http input: polls HTTP APIs and turns line protocol or JSON responses into metrics. */
export const httpInput = defineInput({
  name: 'http',
  description:
    'Polls HTTP endpoints and parses their responses as line protocol or JSON (json_query, tag_keys, ...)',
  config: httpInputConfig,
  create: (config, ctx) => new HttpInput(config, ctx),
});
