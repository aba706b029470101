/**
 * Loading and validating a config for the CLI, and `viva config check`.
 */
import type { z } from 'zod';
import { loadConfig } from '../config/load.ts';
import { validateConfig, type ValidConfig } from '../config/validate.ts';
import { ConfigError } from '../errors/errors.ts';
import type { Registry } from '../plugin/registry.ts';
import { Exit, parse, UsageError } from './args.ts';

/** Loads and validates; on failure prints every issue to stderr and returns undefined. */
export function loadValid(file: string, registry: Registry, extra: Record<string, z.ZodType> = {}): ValidConfig | undefined {
  try {
    return validateConfig(loadConfig(file), registry, extra);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    console.error(`viva: config invalid (${e.code}), ${e.issues.length} problem${e.issues.length === 1 ? '' : 's'}:`);
    for (const line of e.message.split('\n')) console.error(`  ${line}`);
    return undefined;
  }
}

/** `viva config check -c FILE`: exit 0 when valid, 3 with every problem otherwise. */
export function configCheck(argv: string[], registry: Registry): number {
  const { values, positionals } = parse(argv, { config: { type: 'string', short: 'c' } }, true);
  if (positionals[0] !== 'check') throw new UsageError('usage: viva config check -c FILE|DIR');
  if (values.config === undefined) throw new UsageError('viva config check needs -c FILE|DIR');
  const cfg = loadValid(values.config, registry);
  if (cfg === undefined) return Exit.CONFIG;
  console.log(
    `config ok: ${cfg.files.length} file(s), ${cfg.inputs.length} input(s), ${cfg.processors.length} processor(s), ${cfg.outputs.length} output(s)`,
  );
  return Exit.OK;
}
