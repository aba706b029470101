/**
 * Reading JSON input: one document, or newline-delimited documents (NDJSON) when the whole does
 * not parse, so one bad record costs one line.
 */
import { parseJsonText } from '../../format/json/parse-text.ts';
import type { ParseError } from '../../format/types.ts';

/** The line of a JSON syntax error, from V8's "(line N column M)" or "position P". */
function errorLine(e: unknown, text: string): number {
  const msg = e instanceof Error ? e.message : '';
  const lm = /line (\d+)/.exec(msg);
  if (lm !== null) return Number(lm[1]);
  const pm = /position (\d+)/.exec(msg);
  if (pm === null) return 1;
  let line = 1;
  const end = Math.min(Number(pm[1]), text.length);
  for (let i = 0; i < end; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

const message = (e: unknown): string => `invalid JSON: ${e instanceof Error ? e.message : String(e)}`;

/** A parsed document and the line it starts on. */
export interface JsonDoc {
  value: unknown;
  line: number;
}

/** Parses a body as one JSON document or as NDJSON; bad documents become errors. */
export function readJsonDocs(input: Buffer | string, errors: ParseError[]): JsonDoc[] {
  const text = typeof input === 'string' ? input : input.toString('utf8');
  try {
    return [{ value: parseJsonText(text), line: 1 }];
  } catch (e) {
    const docs: JsonDoc[] = [];
    const lines = text.split('\n');
    if (lines.filter((l) => l.trim() !== '').length <= 1) {
      errors.push({ line: errorLine(e, text), message: message(e), text: text.slice(0, 200) });
      return docs;
    }
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i];
      if (l.trim() === '') continue;
      try {
        docs.push({ value: parseJsonText(l), line: i + 1 });
      } catch (le) {
        errors.push({ line: i + 1, message: message(le), text: l.slice(0, 200) });
      }
    }
    return docs;
  }
}

/** True for a plain JSON object. */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
