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

/**
 * A time bound of `--since` / `--until`: an RFC 3339 date, epoch milliseconds, or a duration
 * before `now` ("90m", "24h"). Returns epoch ms.
 */
export function parseTimeBound(text: string, flag: string, now = Date.now()): number {
  if (/^\d+$/.test(text)) return Number(text);
  const rel = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text);
  if (rel !== null) {
    const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[
      rel[2] as 'ms' | 's' | 'm' | 'h' | 'd'
    ];
    return now - Number(rel[1]) * unit;
  }
  const t = Date.parse(text);
  if (Number.isNaN(t))
    throw new UsageError(
      `${flag} "${text}" is not a date (RFC 3339), epoch milliseconds or a duration ago (e.g. 2h)`,
    );
  return t;
}
