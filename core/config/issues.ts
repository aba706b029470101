/**
 * Turns zod validation issues into located config issues, with a "did you mean" for typos.
 */
import type { z } from 'zod';
import type { ConfigIssue } from '../model/errors/errors.ts';

function distance(a: string, b: string): number {
  const d: number[] = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0];
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j];
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length];
}

/** The closest known key to a misspelled one, if close enough. */
export function suggest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Math.max(2, Math.floor(key.length / 3)) + 1;
  for (const k of known) {
    const dist = distance(key, k);
    if (dist < bestD) {
      bestD = dist;
      best = k;
    }
  }
  return best;
}

/** Converts a zod error into issues, prefixing paths and naming unknown keys one by one. */
export function zodIssues(
  err: z.ZodError,
  where: { file?: string; plugin?: string; prefix?: string },
  knownKeys: readonly string[] = [],
): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of err.issues) {
    const base = [where.prefix, ...issue.path.map(String)]
      .filter((s) => s !== undefined && s !== '')
      .join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const hint = issue.path.length === 0 ? suggest(key, knownKeys) : undefined;
        out.push({
          file: where.file,
          plugin: where.plugin,
          path: base === '' ? key : `${base}.${key}`,
          message: `unknown key${hint !== undefined ? ` (did you mean "${hint}"?)` : ''}`,
        });
      }
    } else {
      out.push({ file: where.file, plugin: where.plugin, path: base, message: issue.message });
    }
  }
  return out;
}
