import { createSerializer } from '../../../core/format/registry.ts';
import { defineOutput } from '../../../core/plugin/define.ts';
import { httpConfig } from './config.ts';
import { HttpOutput } from './http.ts';

/** The http output. */
export const httpOutput = defineOutput({
  name: 'http',
  description: 'Sends batches over HTTP as line protocol or JSON (gzip, auth, Retry-After)',
  config: httpConfig,
  create: (config) =>
    new HttpOutput(config, createSerializer(config.data_format, { precision: config.precision })),
});
