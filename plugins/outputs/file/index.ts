import { createSerializer } from '../../../core/format/registry.ts';
import { defineOutput } from '../../../core/plugin/define.ts';
import { fileConfig } from './config.ts';
import { FileOutput } from './file.ts';

/** The file output. */
export const fileOutput = defineOutput({
  name: 'file',
  description: 'Writes metrics to files (with rotation by size and age) or stdout',
  config: fileConfig,
  create: (config) =>
    new FileOutput(config, createSerializer(config.data_format, { precision: config.precision })),
});
