/**
 * Loading and validating a config for the CLI, and `viva config check`.
 */
import type { z } from 'zod';
import type { ValidConfig } from '../../config/validate.ts';
import { ConfigError } from '../../model/errors/errors.ts';
import { loadConfig } from '../../config/load.ts';
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
    printIssues(e);
    return undefined;
  }
}

/** `viva config check -c FILE`: exit 0 when valid, 3 with every problem otherwise. */
/**
 * Another kind of config (the collector's): its extra sections and the checks across them. A
 * config with any of these sections is checked as that kind.
 */
export interface ConfigProfile {
  sections: Record<string, z.ZodType>;
  /** Throws a ConfigError listing every problem; returns a summary line. */
  check(cfg: ValidConfig): string;
}

/** Prints a ConfigError's problems. */
function printIssues(e: ConfigError): void {
  console.error(
    `viva: config invalid (${e.code}), ${e.issues.length} problem${e.issues.length === 1 ? '' : 's'}:`,
  );
  for (const line of e.message.split('\n')) console.error(`  ${line}`);
}

/** `viva config check -c FILE`: exit 0 when valid, 3 with every problem otherwise. */
export async function configCheck(
  argv: string[],
  registry: Registry,
  profiles: ConfigProfile[] = [],
): Promise<number> {
  const { values, positionals } = parse(argv, { config: { type: 'string', short: 'c' } }, true);
  if (positionals[0] !== 'check') throw new UsageError('usage: viva config check -c FILE|DIR');
  if (values.config === undefined) throw new UsageError('viva config check needs -c FILE|DIR');
  let profile: ConfigProfile | undefined;
  try {
    const raw = loadConfig(values.config);
    profile = profiles.find((p) => Object.keys(p.sections).some((s) => raw.sections.has(s)));
  } catch {
    // loadValid below reports what is wrong with the files.
  }
  const cfg = await loadValid(values.config, registry, profile?.sections);
  if (cfg === undefined) return Exit.CONFIG;
  let extra = '';
  if (profile !== undefined) {
    try {
      extra = ', ' + profile.check(cfg);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      printIssues(e);
      return Exit.CONFIG;
    }
  }
  console.log(
    `config ok: ${cfg.files.length} file(s), ${cfg.inputs.length} input(s), ${cfg.processors.length} processor(s), ${cfg.outputs.length} output(s)${extra}`,
  );
  return Exit.OK;
}
