/**
 * JSON parser for metrics in Telegraf's JSON shape. Accepts a batch `{"metrics":[...]}`, an array
 * of metric objects, or one metric object: `{"name":"cpu","tags":{..},"fields":{..},
 * "timestamp":...}`. Field numbers become floats; strings and booleans stay; null fields are
 * dropped; nested objects and arrays are rejected. Tag values must be strings (numbers and booleans
 * are turned into text). `timestamp` is a number in the configured unit (default: guessed from the
 * magnitude, see guessUnit), a string of digits, or RFC 3339 text; without one a metric gets the
 * default time. One ParseError per bad record (line = record number), or one for invalid JSON
 * (line of the syntax error). Never throws.
 */
import { Metric } from '../../model/metric/metric.ts';
import type { FieldValue, Fields, Tags } from '../../model/metric/metric.ts';
import type { ParseError, ParseOptions, ParseResult, Parser } from '../types.ts';
import { parseJsonText } from './parse-text.ts';
import { timeFromDigits, timeFromNumber, timeFromRfc3339 } from './time.ts';
import type { JsonTimeUnit } from './time.ts';

/** Options of a JsonParser. */
export interface JsonParserOptions {
  /** Unit of numeric timestamps. Default 'auto' (guessed from the magnitude). */
  timestampUnits?: JsonTimeUnit;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true });
  else obj[key] = value;
}

function kindOf(v: Json): string {
  return v === null
    ? 'null'
    : Array.isArray(v)
      ? 'an array'
      : typeof v === 'object'
        ? 'a nested object'
        : typeof v;
}

/** The 1-based line of a JSON.parse error, from V8's message or its character position. */
function syntaxLine(text: string, message: string): number {
  const m = /\(line (\d+) column \d+\)/.exec(message);
  if (m !== null) return Number(m[1]);
  const p = /at position (\d+)/.exec(message);
  if (p === null) return 1;
  let line = 1;
  for (let i = 0, end = Math.min(Number(p[1]), text.length); i < end; i++)
    if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** One call: converts records, collecting metrics and errors. */
class JsonReader {
  readonly metrics: Metric[] = [];
  readonly errors: ParseError[] = [];
  private readonly unit: JsonTimeUnit;
  private readonly defaultTime: readonly [number, number];
  /** Source text of big numeric timestamps, by the object holding them (exact ns). */
  sources: { get(record: object): string | undefined } | null = null;

  constructor(unit: JsonTimeUnit, defaultTime: readonly [number, number]) {
    this.unit = unit;
    this.defaultTime = defaultTime;
  }

  records(doc: Json): Json[] | null {
    if (Array.isArray(doc)) return doc;
    if (isObject(doc)) {
      const batch = doc.metrics;
      if (Array.isArray(batch) && doc.name === undefined) return batch;
      return [doc];
    }
    this.errors.push({
      line: 1,
      message: 'line 1: expected a metric object, an array of them, or {"metrics":[...]}',
      text: JSON.stringify(doc).slice(0, 200),
    });
    return null;
  }

  record(r: Json, index: number): void {
    const problem = this.convert(r);
    if (typeof problem === 'string') {
      const text = JSON.stringify(r)?.slice(0, 200);
      this.errors.push({ line: index + 1, message: `record ${index + 1}: ${problem}`, text });
    }
  }

  /** A metric from one record, or why not. */
  private convert(r: Json): string | null {
    if (!isObject(r)) return `expected a metric object, got ${kindOf(r)}`;
    const name = r.name;
    if (typeof name !== 'string' || name === '') return 'missing "name" (a non-empty string)';
    const tags: Tags = {};
    if (r.tags !== undefined && r.tags !== null) {
      if (!isObject(r.tags)) return `"tags" must be an object, got ${kindOf(r.tags)}`;
      const given = r.tags;
      for (const k in given) {
        const v = given[k];
        // Line protocol and InfluxDB have no tag or field without a key.
        if (k === '') return 'a tag key must not be empty';
        if (typeof v === 'string') setOwn(tags, k, v);
        else if (typeof v === 'number' || typeof v === 'boolean') setOwn(tags, k, String(v));
        else return `tag ${JSON.stringify(k)}: expected a string, got ${kindOf(v)}`;
      }
    }
    if (!isObject(r.fields)) return `"fields" must be an object, got ${kindOf(r.fields ?? null)}`;
    const fields: Fields = {};
    let count = 0;
    const given = r.fields;
    for (const k in given) {
      const v = given[k];
      if (v === null) continue;
      if (k === '') return 'a field key must not be empty';
      if (typeof v === 'object') return `field ${JSON.stringify(k)}: ${kindOf(v)} is not supported`;
      setOwn<FieldValue>(fields, k, v);
      count++;
    }
    if (count === 0) return 'no fields';
    const time = this.time(r);
    if (typeof time === 'string') return time;
    this.metrics.push(new Metric(name, tags, fields, time[0], time[1]));
    return null;
  }

  private time(r: JsonObject): readonly [number, number] | string {
    const t = r.timestamp;
    if (t === undefined || t === null) return this.defaultTime;
    if (typeof t === 'number') return timeFromNumber(t, this.unit, this.sources?.get(r));
    if (typeof t === 'string') return /^-?\d+$/.test(t) ? timeFromDigits(t, this.unit) : timeFromRfc3339(t);
    return `"timestamp" must be a number or a string, got ${kindOf(t)}`;
  }
}

/** A numeric "timestamp" long enough to lose precision as a double (more than 15 digits). */
const BIG_TIMESTAMP = /"timestamp"\s*:\s*-?\d{16}/;
/** Every numeric "timestamp" member, at any depth, in document order. */
const TIMESTAMP_MEMBER = /"timestamp"\s*:\s*(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g;

/**
 * The exact text of each record's numeric timestamp, by record. The members found in the text
 * map to the records in order when their counts agree (no "timestamp" key elsewhere, no
 * duplicates); otherwise a reviver reads them, slower but always right.
 */
function timestampSources(text: string, records: Json[]): { get(record: object): string | undefined } | null {
  const found: string[] = [];
  for (const m of text.matchAll(TIMESTAMP_MEMBER)) found.push(m[1]);
  const numeric: object[] = [];
  for (const r of records) if (isObject(r) && typeof r.timestamp === 'number') numeric.push(r);
  if (found.length === numeric.length) return new Map(numeric.map((r, i) => [r, found[i]]));
  return null;
}

/** JSON.parse that also records the exact text of every numeric "timestamp", by its holder. */
function parseWithSources(text: string, sources: WeakMap<object, string>): Json {
  return parseJsonText(text, function (this: object, key: string, value: unknown, ctx?: { source?: string }) {
    if (key === 'timestamp' && typeof value === 'number' && ctx?.source !== undefined)
      sources.set(this, ctx.source);
    return value;
  }) as Json;
}

function toText(input: unknown): string | null {
  if (typeof input === 'string') return input;
  if (input instanceof Uint8Array)
    return Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('utf8');
  return null;
}

/** Parses JSON metrics (timestamp unit: `timestampUnits`, else `precision`, else guessed); never throws. */
export function parseJson(
  input: Buffer | string,
  options: ParseOptions & JsonParserOptions = {},
): ParseResult {
  const text = toText(input);
  if (text === null)
    return { metrics: [], errors: [{ line: 1, message: 'line 1: input is not a Buffer or a string' }] };
  const defaultTime = options.defaultTime ?? ([Date.now(), 0] as const);
  const reader = new JsonReader(options.timestampUnits ?? options.precision ?? 'auto', defaultTime);
  let doc: Json;
  try {
    doc = parseJsonText(text) as Json;
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const line = syntaxLine(text, message);
    return {
      metrics: [],
      errors: [{ line, message: `line ${line}: invalid JSON: ${message}`, text: text.slice(0, 200) }],
    };
  }
  let records = reader.records(doc);
  if (records === null) return { metrics: [], errors: reader.errors };
  if (BIG_TIMESTAMP.test(text)) {
    // Timestamps beyond 2^53 (ns) lost digits as doubles: take them from the text.
    reader.sources = timestampSources(text, records);
    if (reader.sources === null) {
      const sources = new WeakMap<object, string>();
      records = reader.records(parseWithSources(text, sources)) ?? [];
      reader.sources = sources;
    }
  }
  for (let i = 0; i < records.length; i++) reader.record(records[i], i);
  return { metrics: reader.metrics, errors: reader.errors };
}

/** The JSON Parser; a per-call `precision` overrides the constructor's timestamp unit. */
export class JsonParser implements Parser {
  private readonly unit: JsonTimeUnit;

  constructor(options: JsonParserOptions = {}) {
    this.unit = options.timestampUnits ?? 'auto';
  }

  parse(input: Buffer | string, options: ParseOptions = {}): ParseResult {
    return parseJson(input, { ...options, timestampUnits: options.precision ?? this.unit });
  }
}
