/**
 * The built-in inputs, one line each. The composition root (bin/viva.ts) registers them.
 */
import type { InputDefinition } from '../../core/plugin/types.ts';
import { cpuInput } from './cpu/index.ts';
import { diskInput } from './disk/index.ts';
import { diskioInput } from './diskio/index.ts';
import { generatorInput } from './generator/index.ts';
import { internalInput } from './internal/index.ts';
import { kernelInput } from './kernel/index.ts';
import { memInput } from './mem/index.ts';
import { netInput } from './net/index.ts';
import { netstatInput } from './netstat/index.ts';
import { processesInput } from './processes/index.ts';
import { procstatInput } from './procstat/index.ts';
import { swapInput } from './swap/index.ts';
import { systemInput } from './system/index.ts';

const defs: unknown[] = [
  cpuInput,
  diskInput,
  diskioInput,
  generatorInput,
  internalInput,
  kernelInput,
  memInput,
  netInput,
  netstatInput,
  processesInput,
  procstatInput,
  swapInput,
  systemInput,
];

export const builtinInputs = defs as InputDefinition[];
