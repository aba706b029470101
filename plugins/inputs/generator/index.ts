import { defineInput } from '../../../core/plugin/define.ts';
import { generatorConfig } from './config.ts';
import { Generator } from './generator.ts';

/** The generator input: synthetic metrics at a set rate, for demos and benchmarks. */
export const generatorInput = defineInput({
  name: 'generator',
  description: 'Synthetic metrics at a set rate, each with a unique seq field (demos, tests, benchmarks)',
  config: generatorConfig,
  create: (config, ctx) => new Generator(config, ctx),
});
