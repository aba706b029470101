/**
 * The built-in outputs, one line each. The composition root (bin/viva.ts) registers them.
 */
import type { OutputDefinition } from '../../core/plugin/types.ts';
import { discardOutput } from './discard/index.ts';
import { fileOutput } from './file/index.ts';
import { httpOutput } from './http/index.ts';
import { stdoutOutput } from './stdout/index.ts';

export const builtinOutputs: OutputDefinition[] = [
  discardOutput as OutputDefinition,
  fileOutput as OutputDefinition,
  httpOutput as OutputDefinition,
  stdoutOutput as OutputDefinition,
];
