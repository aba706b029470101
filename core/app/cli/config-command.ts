/**
 * Loading and validating a config for the CLI, and `viva config check`.
 */
import type { z } from 'zod';
import type { ValidConfig } from '../../config/validate.ts';
import { ConfigError } from '../../model/errors/errors.ts';
import { loadAndValidate } from '../../plugin/external.ts';
import type { Registry } from '../../plugin/registry.ts';
import { Exit, parse, UsageError } from './args.ts';

/** Loads (external plugins included) and validates; on failure prints every issue and returns undefined. */
export async function loadValid(
  file: string,
  registry: Registry,
  extra: Record<string, z.ZodType> = {},
): Promise<ValidConfig | undefined> {
  try {
    return await loadAndValidate(file, registry, extra);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    console.error(
      `viva: config invalid (${e.code}), ${e.issues.length} problem${e.issues.length === 1 ? '' : 's'}:`,
    );
    for (const line of e.message.split('\n')) console.error(`  ${line}`);
    return undefined;
  }
}

/** `viva config check -c FILE`: exit 0 when valid, 3 with every problem otherwise. */
export function configCheck(argv: string[], registry: Registry): Promise<number> {
  const { values, positionals } = parse(argv, { config: { type: 'string', short: 'c' } }, true);
  if (positionals[0] !== 'check') throw new UsageError('usage: viva config check -c FILE|DIR');
  if (values.config === undefined) throw new UsageError('viva config check needs -c FILE|DIR');
  return loadValid(values.config, registry).then((cfg) => {
    if (cfg === undefined) return Exit.CONFIG;
    console.log(
      `config ok: ${cfg.files.length} file(s), ${cfg.inputs.length} input(s), ${cfg.processors.length} processor(s), ${cfg.outputs.length} output(s)`,
    );
    return Exit.OK;
  });
}
