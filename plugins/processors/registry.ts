/**
 * The built-in processors, one line each. The composition root (bin/viva.ts) registers them.
 */
import type { ProcessorDefinition } from '../../core/plugin/types.ts';

export const builtinProcessors: ProcessorDefinition[] = [];
