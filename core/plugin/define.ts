/**
 * defineInput/defineProcessor/defineOutput: typed constructors for plugin definitions.
 */
import type { z } from 'zod';
import type { InputDefinition, OutputDefinition, ProcessorDefinition } from './types.ts';

/** Defines an input plugin; the config type is inferred from the schema. */
export function defineInput<S extends z.ZodType>(def: Omit<InputDefinition<S>, 'kind'>): InputDefinition<S> {
  return Object.freeze({ ...def, kind: 'input' as const });
}

/** Defines a processor plugin. */
export function defineProcessor<S extends z.ZodType>(
  def: Omit<ProcessorDefinition<S>, 'kind'>,
): ProcessorDefinition<S> {
  return Object.freeze({ ...def, kind: 'processor' as const });
}

/** Defines an output plugin. */
export function defineOutput<S extends z.ZodType>(
  def: Omit<OutputDefinition<S>, 'kind'>,
): OutputDefinition<S> {
  return Object.freeze({ ...def, kind: 'output' as const });
}
