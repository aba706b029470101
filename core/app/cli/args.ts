/**
 * Command-line parsing helpers shared by the subcommands.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Thrown for a bad command line: the CLI prints it with the usage and exits 2. */
export class UsageError extends Error {}

/** parseArgs that turns its errors into UsageError. */
export function parse<T extends NonNullable<ParseArgsConfig['options']>>(
  argv: string[],
  options: T,
  allowPositionals = false,
) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
}

/** Exit codes of `viva`. */
export const Exit = { OK: 0, FAILURE: 1, USAGE: 2, CONFIG: 3 } as const;
