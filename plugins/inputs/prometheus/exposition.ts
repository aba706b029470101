/**
 * Parser of the Prometheus text exposition format (0.0.4, and the OpenMetrics text it overlaps):
 * `# HELP` / `# TYPE` lines, samples `name{label="value",...} value [timestamp_ms]`, label value
 * escapes (`\\`, `\"`, `\n`), NaN and ±Inf. A bad line yields one error with its line number
 * and parsing goes on.
 */
import type { ParseError } from '../../../core/format/types.ts';

/** A metric family's declared type; samples of an undeclared family are untyped. */
export type FamilyType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

/** One sample line. */
export interface Sample {
  /** Sample name as written (`x_bucket`, `x_sum`, `x`). */
  name: string;
  /** The family it belongs to (`x` for `x_bucket`) and that family's type. */
  family: string;
  type: FamilyType;
  labels: Record<string, string>;
  value: number;
  /** Milliseconds since the epoch, or null when the sample has none. */
  timestampMs: number | null;
}

/** What a parse returns. */
export interface Exposition {
  samples: Sample[];
  help: Map<string, string>;
  errors: ParseError[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

/** A Prometheus float: decimal, exponent, NaN, +Inf, -Inf (Go's ParseFloat spellings). */
export function parsePromFloat(tok: string): number | undefined {
  switch (tok.toLowerCase()) {
    case 'nan':
      return NaN;
    case '+inf':
    case 'inf':
      return Infinity;
    case '-inf':
      return -Infinity;
  }
  if (tok === '' || !/^[+-]?(\d|\.\d)/.test(tok)) return undefined;
  const v = Number(tok);
  return Number.isNaN(v) ? undefined : v;
}

/** Reads `{a="x",b="y"}` starting at `{`; returns the labels and the index after `}`. */
function readLabels(s: string, at: number): { labels: Record<string, string>; end: number } | string {
  const labels: Record<string, string> = {};
  let i = at + 1;
  for (;;) {
    while (s[i] === ' ' || s[i] === '\t') i++;
    if (s[i] === '}') return { labels, end: i + 1 };
    const m = LABEL_NAME.exec(s.slice(i));
    if (m === null) return `invalid label name at column ${i + 1}`;
    const key = m[0];
    i += key.length;
    while (s[i] === ' ' || s[i] === '\t') i++;
    if (s[i] !== '=') return `expected "=" after label "${key}"`;
    i++;
    while (s[i] === ' ' || s[i] === '\t') i++;
    if (s[i] !== '"') return `expected a quoted value for label "${key}"`;
    i++;
    let v = '';
    let from = i;
    for (;;) {
      const c = s[i];
      if (c === undefined) return `unterminated value of label "${key}"`;
      if (c === '"') break;
      if (c === '\\') {
        v += s.slice(from, i);
        const e = s[i + 1];
        v += e === 'n' ? '\n' : e === '\\' ? '\\' : e === '"' ? '"' : '\\' + (e ?? '');
        i += 2;
        from = i;
        continue;
      }
      i++;
    }
    v += s.slice(from, i);
    i++;
    labels[key] = v;
    while (s[i] === ' ' || s[i] === '\t') i++;
    if (s[i] === ',') i++;
    else if (s[i] !== '}') return `expected "," or "}" after label "${key}"`;
  }
}

/** The family and type of a sample name given the declared types. */
function familyOf(name: string, types: Map<string, FamilyType>): [string, FamilyType] {
  const t = types.get(name);
  if (t !== undefined) return [name, t];
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!name.endsWith(suffix)) continue;
    const base = name.slice(0, -suffix.length);
    const bt = types.get(base);
    if (bt === 'histogram' || (bt === 'summary' && suffix !== '_bucket')) return [base, bt];
  }
  return [name, 'untyped'];
}

/** Parses one sample line into `out`; returns an error message or undefined. */
function parseSample(line: string, types: Map<string, FamilyType>, out: Sample[]): string | undefined {
  const m = NAME.exec(line);
  if (m === null) return 'invalid metric name';
  const name = m[0];
  let i = name.length;
  let labels: Record<string, string> = {};
  if (line[i] === '{') {
    const r = readLabels(line, i);
    if (typeof r === 'string') return r;
    labels = r.labels;
    i = r.end;
  }
  // Drop an OpenMetrics exemplar (` # {...} value`).
  let rest = line.slice(i);
  const ex = rest.indexOf(' # ');
  if (ex !== -1) rest = rest.slice(0, ex);
  const toks = rest.trim().split(/[ \t]+/);
  if (toks.length === 0 || toks[0] === '') return `no value for "${name}"`;
  if (toks.length > 2) return `unexpected text after the timestamp of "${name}"`;
  const value = parsePromFloat(toks[0]);
  if (value === undefined) return `invalid value "${toks[0]}"`;
  let timestampMs: number | null = null;
  if (toks.length === 2) {
    const ts = toks[1];
    // OpenMetrics writes seconds with a fraction; the classic format writes integer milliseconds.
    const v = Number(ts);
    if (!/^-?\d+(\.\d+)?$/.test(ts) || !Number.isFinite(v)) return `invalid timestamp "${ts}"`;
    timestampMs = ts.includes('.') ? Math.round(v * 1000) : v;
    if (!Number.isSafeInteger(timestampMs)) return `timestamp out of range "${ts}"`;
  }
  const [family, type] = familyOf(name, types);
  out.push({ name, family, type, labels, value, timestampMs });
  return undefined;
}

/** Parses an exposition body; never throws on bad input. */
export function parseExposition(text: string): Exposition {
  const types = new Map<string, FamilyType>();
  const help = new Map<string, string>();
  const samples: Sample[] = [];
  const errors: ParseError[] = [];
  let lineNo = 0;
  let from = 0;
  while (from <= text.length) {
    let nl = text.indexOf('\n', from);
    if (nl === -1) nl = text.length;
    lineNo++;
    let line = text.slice(from, nl);
    from = nl + 1;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    line = line.trimStart();
    if (line === '') continue;
    if (line[0] === '#') {
      const parts = line
        .slice(1)
        .trim()
        .split(/[ \t]+/);
      if (parts[0] === 'TYPE' && parts.length >= 3) {
        const t = parts[2].toLowerCase();
        types.set(parts[1], TYPES.has(t) ? (t as FamilyType) : 'untyped');
      } else if (parts[0] === 'HELP' && parts.length >= 2) {
        const at = line.indexOf(parts[1]) + parts[1].length;
        help.set(parts[1], line.slice(at).trim().replace(/\\n/g, '\n').replace(/\\\\/g, '\\'));
      }
      continue;
    }
    const err = parseSample(line, types, samples);
    if (err !== undefined) errors.push({ line: lineNo, message: err, text: line.slice(0, 200) });
  }
  return { samples, help, errors };
}
