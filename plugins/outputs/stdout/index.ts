import { z } from 'zod';
import { createSerializer, dataFormatSchema, precisionSchema } from '../../../core/format/registry.ts';
import { defineOutput } from '../../../core/plugin/define.ts';
import { StdoutOutput } from './stdout.ts';

/** The stdout output. */
export const stdoutOutput = defineOutput({
  name: 'stdout',
  description: 'Writes metrics to standard output as line protocol or JSON',
  config: z.strictObject({
    data_format: dataFormatSchema
      .default('influx')
      .describe('Output format: influx (line protocol) or json.'),
    precision: precisionSchema.default('ns').describe('Timestamp precision of line protocol.'),
  }),
  create: (config) => new StdoutOutput(createSerializer(config.data_format, { precision: config.precision })),
});
