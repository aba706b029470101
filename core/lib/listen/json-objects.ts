/**
 * Arbitrary JSON to metrics with Telegraf's json parser semantics: `json_query` picks an object
 * or an array of objects (a dotted path, array indexes as numbers); each object becomes one
 * metric; nested keys flatten with "_"; numbers become float fields and booleans boolean
 * fields; strings are dropped unless listed in `json_string_fields`; `tag_keys` become tags;
 * `json_name_key` names the metric and `json_time_key` + `json_time_format` give its time.
 */
import { z } from 'zod';
import { compileGlobs } from '../../engine/filter/glob.ts';
import type { ParseError, ParseOptions, ParseResult, Parser } from '../../format/types.ts';
import { Metric } from '../../model/metric/metric.ts';
import { isObject, readJsonDocs } from './json-doc.ts';
import { timeFromNumber, timeFromRfc3339 } from '../../format/json/time.ts';
import type { Precision } from '../../model/metric/time.ts';

/** Config keys of the JSON object parser, shared by the inputs that offer data_format = "json". */
export const jsonObjectKeys = {
  json_query: z
    .string()
    .default('')
    .describe('Dotted path to the object or array of objects to read ("" = the whole document).'),
  tag_keys: z
    .array(z.string())
    .default([])
    .describe('JSON keys (flattened, globs allowed) whose values become tags.'),
  json_string_fields: z
    .array(z.string())
    .default([])
    .describe('JSON keys (flattened, globs allowed) kept as string fields; other strings are dropped.'),
  json_name_key: z.string().default('').describe('JSON key whose value names the metric.'),
  json_time_key: z.string().default('').describe('JSON key holding the metric time ("" = now).'),
  json_time_format: z
    .string()
    .default('unix')
    .describe(
      'Format of json_time_key: unix, unix_ms, unix_us, unix_ns (numbers or digit strings), or rfc3339.',
    ),
};

/** Options of a JsonObjectParser. */
export interface JsonObjectOptions {
  /** Metric name when json_name_key gives none. */
  measurement: string;
  json_query: string;
  tag_keys: string[];
  json_string_fields: string[];
  json_name_key: string;
  json_time_key: string;
  json_time_format: string;
}

const UNITS: Record<string, Precision> = { unix: 's', unix_ms: 'ms', unix_us: 'us', unix_ns: 'ns' };

/** Follows a dotted path; undefined when a step is missing. */
export function queryPath(v: unknown, path: string): unknown {
  if (path === '') return v;
  let cur = v;
  for (const step of path.split('.')) {
    if (Array.isArray(cur) && /^\d+$/.test(step)) cur = cur[Number(step)];
    else if (isObject(cur)) cur = cur[step];
    else return undefined;
  }
  return cur;
}

/** Flattens nested objects and arrays into `out` with "_"-joined keys. */
function flatten(prefix: string, v: unknown, out: Map<string, unknown>): void {
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) flatten(prefix === '' ? String(i) : `${prefix}_${i}`, v[i], out);
  } else if (isObject(v)) {
    for (const k in v) flatten(prefix === '' ? k : `${prefix}_${k}`, v[k], out);
  } else out.set(prefix, v);
}

export class JsonObjectParser implements Parser {
  private readonly o: JsonObjectOptions;
  private readonly isTag: (k: string) => boolean;
  private readonly isString: (k: string) => boolean;
  private readonly unit: Precision | undefined;

  constructor(o: JsonObjectOptions) {
    this.o = o;
    this.isTag = matcher(o.tag_keys);
    this.isString = matcher(o.json_string_fields);
    this.unit = UNITS[o.json_time_format];
  }

  parse(input: Buffer | string, options: ParseOptions = {}): ParseResult {
    const errors: ParseError[] = [];
    const metrics: Metric[] = [];
    const now = options.defaultTime ?? ([Date.now(), 0] as const);
    for (const doc of readJsonDocs(input, errors)) {
      const picked = queryPath(doc.value, this.o.json_query);
      if (picked === undefined) {
        errors.push({ line: doc.line, message: `json_query "${this.o.json_query}" matches nothing` });
        continue;
      }
      const list = Array.isArray(picked) ? picked : [picked];
      for (let i = 0; i < list.length; i++) {
        const m = this.toMetric(list[i], now);
        if (typeof m === 'string')
          errors.push({ line: doc.line, message: list.length > 1 ? `record ${i + 1}: ${m}` : m });
        else metrics.push(m);
      }
    }
    return { metrics, errors };
  }

  private toMetric(r: unknown, now: readonly [number, number]): Metric | string {
    if (!isObject(r)) return 'not a JSON object';
    const flat = new Map<string, unknown>();
    flatten('', r, flat);
    const o = this.o;
    const m = new Metric(o.measurement, {}, {}, now[0], now[1]);
    for (const [k, v] of flat) {
      if (k === o.json_name_key && o.json_name_key !== '') {
        if (typeof v === 'string' && v !== '') m.name = v;
      } else if (k === o.json_time_key && o.json_time_key !== '') {
        const t = this.time(v);
        if (typeof t === 'string') return `${t} (json_time_format "${o.json_time_format}")`;
        [m.timeMs, m.timeNs] = t;
      } else if (this.isTag(k)) {
        if (v !== null && v !== '') m.tags[k] = String(v);
      } else if (typeof v === 'number' || typeof v === 'boolean') m.setField(k, v);
      else if (typeof v === 'string' && this.isString(k)) m.setField(k, v);
    }
    if (o.json_time_key !== '' && !flat.has(o.json_time_key)) return `no time key "${o.json_time_key}"`;
    if (Object.keys(m.fields).length === 0) return 'no field values';
    return m;
  }

  private time(v: unknown): readonly [number, number] | string {
    if (this.unit !== undefined) {
      const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
      return timeFromNumber(n, this.unit);
    }
    return typeof v === 'string' ? timeFromRfc3339(v) : `invalid time ${JSON.stringify(v)}`;
  }
}

function matcher(globs: string[]): (k: string) => boolean {
  if (globs.length === 0) return () => false;
  return compileGlobs(globs);
}
