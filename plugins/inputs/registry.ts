/**
 * The built-in inputs, one line each. The composition root (bin/viva.ts) registers them.
 */
import type { InputDefinition } from '../../core/plugin/types.ts';
import { generatorInput } from './generator/index.ts';
import { internalInput } from './internal/index.ts';

export const builtinInputs: InputDefinition[] = [
  generatorInput as InputDefinition,
  internalInput as InputDefinition,
];
