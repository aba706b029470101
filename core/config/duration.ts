/**
 * Durations and sizes in config: "10s", "500ms", "1m30s", "2h", or a number of seconds;
 * sizes "64MiB", "10MB", "512KiB" or a number of bytes.
 */
import { z } from 'zod';

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};
const DURATION_PART = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d)/gy;

/** Parses a duration string into milliseconds, or returns undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const s = text.trim();
  if (s === '0') return 0;
  DURATION_PART.lastIndex = 0;
  let total = 0;
  let pos = 0;
  for (;;) {
    const m = DURATION_PART.exec(s);
    if (m === null) break;
    total += Number(m[1]) * UNIT_MS[m[2]];
    pos = DURATION_PART.lastIndex;
  }
  return pos === s.length && pos > 0 ? total : undefined;
}

/** zod schema of a duration; the parsed value is milliseconds. */
export const duration = z.union([z.string(), z.number().nonnegative()]).transform((v, ctx) => {
  if (typeof v === 'number') return v * 1000;
  const ms = parseDuration(v);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `invalid duration "${v}" (use e.g. "500ms", "10s", "1m30s")` });
    return z.NEVER;
  }
  return ms;
});

const SIZE_UNIT: Record<string, number> = {
  '': 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

/** Parses a byte size string, or undefined when malformed. */
export function parseSize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  if (m === null) return undefined;
  const unit = SIZE_UNIT[m[2].toLowerCase()];
  return unit === undefined ? undefined : Math.floor(Number(m[1]) * unit);
}

/** zod schema of a byte size; the parsed value is bytes. */
export const size = z.union([z.string(), z.number().int().nonnegative()]).transform((v, ctx) => {
  if (typeof v === 'number') return v;
  const n = parseSize(v);
  if (n === undefined) {
    ctx.addIssue({ code: 'custom', message: `invalid size "${v}" (use e.g. "64MiB", "10MB", or bytes)` });
    return z.NEVER;
  }
  return n;
});
