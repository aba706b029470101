/**
 * Test helpers for data formats: fast-check arbitraries of metrics (names, keys and values full of
 * the characters formats must escape) and a well-formedness check for parser output.
 */
import fc from 'fast-check';
import { Metric } from '../model/metric/metric.ts';
import type { FieldTypes, Fields, Tags } from '../model/metric/metric.ts';

/** Characters that every text format has to escape or quote somewhere. */
const SPECIALS = [',', '=', ' ', '"', '\\', '\n', '\r', '#', '\t', "'", '{', '}', ':', 'é', '😀', '\u0000'];

/** Text mixing special characters with arbitrary Unicode; `newline` false leaves out "\n". */
export function text(
  options: { minLength?: number; maxLength?: number; newline?: boolean } = {},
): fc.Arbitrary<string> {
  const specials = options.newline === false ? SPECIALS.filter((c) => c !== '\n') : SPECIALS;
  const char = fc.oneof(
    { weight: 2, arbitrary: fc.constantFrom(...specials) },
    { weight: 3, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  );
  return fc
    .array(char, { minLength: options.minLength ?? 0, maxLength: options.maxLength ?? 12 })
    .map((a) => a.join(''))
    .filter((s) => options.newline !== false || !s.includes('\n'));
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** A bigint as the field value the parsers produce: a number when safe, else the bigint. */
function intValue(v: bigint): number | bigint {
  return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
}

type Field =
  | { kind: 'float'; v: number }
  | { kind: 'int' | 'uint'; v: number | bigint }
  | { kind: 'other'; v: string | boolean };

/** A field value of any line protocol type; `finite` floats only (formats cannot carry NaN). */
export function fieldValue(kinds: { ints?: boolean } = {}): fc.Arbitrary<Field> {
  const options: fc.Arbitrary<Field>[] = [
    fc.double({ noNaN: true, noDefaultInfinity: true }).map((v) => ({ kind: 'float' as const, v })),
    fc.integer({ min: -1000, max: 1000 }).map((v) => ({ kind: 'float' as const, v: v / 8 })),
    text({ maxLength: 20 }).map((v) => ({ kind: 'other' as const, v })),
    fc.boolean().map((v) => ({ kind: 'other' as const, v })),
  ];
  if (kinds.ints !== false) {
    options.push(
      fc.bigInt(INT64_MIN, INT64_MAX).map((v) => ({ kind: 'int' as const, v: intValue(v) })),
      fc.bigInt(0n, UINT64_MAX).map((v) => ({ kind: 'uint' as const, v: intValue(v) })),
      fc.integer({ min: -100, max: 100 }).map((v) => ({ kind: 'int' as const, v })),
    );
  }
  return fc.oneof(...options);
}

/** Every ns time line protocol can carry (int64 nanoseconds) as (ms, ns). */
export const anyTime: fc.Arbitrary<[number, number]> = fc.bigInt(INT64_MIN, INT64_MAX).map((ns) => {
  const ms = ns / 1_000_000n - (ns % 1_000_000n < 0n ? 1n : 0n);
  return [Number(ms), Number(ns - ms * 1_000_000n)];
});

function own<T>(entries: [string, T][]): Record<string, T> {
  const o: Record<string, T> = {};
  for (const [k, v] of entries)
    Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  return o;
}

/**
 * A name, key or tag value InfluxDB 1.x line protocol can carry: a run of backslashes before a
 * comma, space, `=`, `"` or the end has even length (an odd one gains a backslash; see
 * lineprotocol/escape.ts).
 */
export const representable = (s: string): string =>
  s.replace(/\\+(?=[,= "]|$)/g, (run) => (run.length % 2 === 1 ? run + '\\' : run));

/** Metrics as line protocol can carry them: no newline or NUL in names and keys, no '#' first. */
export function lineProtocolMetric(): fc.Arbitrary<Metric> {
  const noNul = (s: string): boolean => !s.includes('\0');
  const name = text({ minLength: 1, newline: false })
    .map(representable)
    .filter((s) => !s.startsWith('#') && noNul(s));
  const key = text({ minLength: 1, maxLength: 8, newline: false }).map(representable).filter(noNul);
  return fc
    .record({
      name,
      tags: fc.uniqueArray(
        fc.tuple(key, text({ minLength: 1, maxLength: 10, newline: false }).map(representable).filter(noNul)),
        {
          maxLength: 5,
          selector: (t) => t[0],
        },
      ),
      fields: fc.uniqueArray(fc.tuple(key, fieldValue()), {
        minLength: 1,
        maxLength: 5,
        selector: (t) => t[0],
      }),
      time: anyTime,
    })
    .map(({ name, tags, fields, time }) => {
      const types: [string, 'int' | 'uint'][] = [];
      for (const [k, f] of fields) if (f.kind === 'int' || f.kind === 'uint') types.push([k, f.kind]);
      return new Metric(
        name,
        own(tags) as Tags,
        own(fields.map(([k, f]) => [k, f.v])) as Fields,
        time[0],
        time[1],
        types.length === 0 ? null : (own(types) as FieldTypes),
      );
    });
}

/** Problems that make a parsed metric malformed (empty when it is well-formed). */
export function malformations(m: Metric): string[] {
  const out: string[] = [];
  if (!(m instanceof Metric)) out.push('not a Metric');
  if (typeof m.name !== 'string' || m.name === '') out.push('bad name');
  for (const [k, v] of Object.entries(m.tags))
    if (typeof v !== 'string' || k === '') out.push(`bad tag ${k}`);
  const keys = Object.keys(m.fields);
  if (keys.length === 0) out.push('no fields');
  for (const k of keys) {
    const v = m.fields[k];
    const t =
      m.fieldTypes === null ? undefined : Object.hasOwn(m.fieldTypes, k) ? m.fieldTypes[k] : undefined;
    if (typeof v === 'number' && Number.isNaN(v)) out.push(`NaN field ${k}`);
    if (t !== undefined && typeof v !== 'number' && typeof v !== 'bigint') out.push(`marked non-number ${k}`);
    if (typeof v === 'bigint' && t === undefined) out.push(`unmarked bigint ${k}`);
    if (!['number', 'bigint', 'string', 'boolean'].includes(typeof v)) out.push(`bad field ${k}`);
  }
  if (m.fieldTypes !== null)
    for (const k of Object.keys(m.fieldTypes)) if (!Object.hasOwn(m.fields, k)) out.push(`stray type ${k}`);
  if (!Number.isSafeInteger(m.timeMs)) out.push('bad timeMs');
  if (!Number.isInteger(m.timeNs) || m.timeNs < 0 || m.timeNs >= 1_000_000) out.push('bad timeNs');
  return out;
}

/**
 * fast-check runs for a fuzz property: `base` times VIVA_FUZZ_RUNS (default 1), so CI stays fast
 * and a longer local run is `VIVA_FUZZ_RUNS=100 npx vitest run <file>` (see docs/TESTING.md).
 */
export function fuzzRuns(base: number): number {
  const k = Number(process.env.VIVA_FUZZ_RUNS ?? '1');
  return Math.max(1, Math.round(base * (Number.isFinite(k) && k > 0 ? k : 1)));
}

/** Bytes and snippets that break parsers: quotes, backslashes, NUL, newlines, huge numbers. */
const FUZZ_SPECIALS = [
  '"',
  "'",
  '\\',
  '\0',
  '\n',
  '\r\n',
  ',',
  '=',
  ' ',
  '\t',
  '{',
  '}',
  '[',
  ']',
  ':',
  '|',
  '#',
  '$',
  '${',
  '\uFFFD',
  '😀',
  '9'.repeat(400),
  '1e999',
  '-9223372036854775809',
  '18446744073709551616',
  'NaN',
  '-Inf',
];

type Mutation =
  | { op: 'flip'; at: number; bit: number }
  | { op: 'truncate'; at: number }
  | { op: 'duplicate'; at: number; len: number }
  | { op: 'insert'; at: number; text: string }
  | { op: 'delete'; at: number; len: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('duplicate' as const), at: fc.nat(), len: fc.nat(64) }),
  fc.record({
    op: fc.constant('insert' as const),
    at: fc.nat(),
    text: fc.oneof(fc.constantFrom(...FUZZ_SPECIALS), fc.string({ maxLength: 8 })),
  }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), len: fc.nat(16) }),
);

/** Applies one mutation to bytes (positions taken modulo the length). */
function mutate(b: Uint8Array, m: Mutation): Uint8Array {
  const at = b.length === 0 ? 0 : m.at % (b.length + 1);
  const cat = (...parts: Uint8Array[]): Uint8Array => Buffer.concat(parts);
  switch (m.op) {
    case 'flip': {
      if (b.length === 0) return b;
      const c = Uint8Array.from(b);
      c[m.at % b.length] ^= 1 << m.bit;
      return c;
    }
    case 'truncate':
      return b.subarray(0, at);
    case 'duplicate':
      return cat(b.subarray(0, at + m.len), b.subarray(at, at + m.len), b.subarray(at + m.len));
    case 'insert':
      return cat(b.subarray(0, at), Buffer.from(m.text, 'utf8'), b.subarray(at));
    case 'delete':
      return cat(b.subarray(0, at), b.subarray(at + m.len));
  }
}

/** Valid samples (bytes) changed by 1–8 mutations: flips, truncations, duplications, insertions. */
export function mutatedBytes(samples: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(fc.constantFrom(...samples), fc.array(mutation, { minLength: 1, maxLength: 8 }))
    .map(([s, ms]) => ms.reduce(mutate, s));
}

/** Valid samples (text) changed like mutatedBytes, decoded back as UTF-8 (lossily). */
export function mutatedText(samples: readonly string[]): fc.Arbitrary<string> {
  return mutatedBytes(samples.map((s) => Buffer.from(s, 'utf8'))).map((b) => Buffer.from(b).toString('utf8'));
}

/** Arbitrary input text up to a few KB: any Unicode, binary, and runs of special characters. */
export function fuzzText(maxLength = 4096): fc.Arbitrary<string> {
  return fc.oneof(
    fc.string({ unit: 'binary', maxLength }),
    fc.string({ maxLength }),
    fc
      .array(fc.constantFrom(...FUZZ_SPECIALS, 'a', 'x', '1', '.', '-', 'i', 'u', 't'), { maxLength: 512 })
      .map((a) => a.join('')),
  );
}
