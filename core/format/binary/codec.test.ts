import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode, VivaError } from '../../model/errors/index.ts';
import { Metric } from '../../model/metric/metric.ts';
import type { FieldTypes, Fields, FieldValue, IntType } from '../../model/metric/metric.ts';
import { BINARY_FORMAT_VERSION, decodeBatch, encodeBatch, encodable, peekBatchCount } from './codec.ts';

function roundTrip(metrics: Metric[]): Metric[] {
  return decodeBatch(encodeBatch(metrics));
}

function expectParseError(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(VivaError);
    expect((err as VivaError).code).toBe(ErrorCode.PARSE);
    return;
  }
  throw new Error('expected a parse error');
}

function cpu(i: number): Metric {
  const m = new Metric(
    'cpu',
    { host: `host-${i % 3}`, cpu: 'cpu-total', region: 'eu' },
    { usage_idle: 97.5 - i, usage_user: 1.25 },
    1_700_000_000_000 + i,
    i * 1000,
  );
  m.setInt('ctx', i * 12345);
  return m;
}

const text = fc.oneof(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' }), fc.string());
const dict = <T>(v: fc.Arbitrary<T>, minKeys = 0) =>
  fc.dictionary(text, v, { noNullPrototype: true, minKeys, maxKeys: 8 });
type Typed = readonly [FieldValue, IntType | null];
const field: fc.Arbitrary<Typed> = fc.oneof(
  fc.double().map((v): Typed => [v, null]),
  fc.maxSafeInteger().map((v): Typed => [v, 'int']),
  fc.maxSafeNat().map((v): Typed => [v, 'uint']),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((v): Typed => [v, 'int']),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((v): Typed => [v, 'uint']),
  fc.bigInt({ min: -(2n ** 100n), max: 2n ** 100n }).map((v): Typed => [v, null]),
  fc.double().map((v): Typed => [v, 'int']),
  text.map((v): Typed => [v, null]),
  fc.boolean().map((v): Typed => [v, null]),
);
const metric = fc
  .record({
    name: text.filter((s) => s !== ''),
    tags: dict(text),
    fields: dict(field, 1),
    typesObject: fc.boolean(),
    timeMs: fc.oneof(
      fc.integer({ min: 1_600_000_000_000, max: 1_800_000_000_000 }),
      fc.maxSafeInteger(),
      fc.constant(-0),
      fc.double(),
    ),
    timeNs: fc.oneof(fc.integer({ min: 0, max: 999_999 }), fc.double()),
  })
  .map((r) => {
    const fields: Fields = {};
    let types: FieldTypes | null = r.typesObject ? {} : null;
    for (const [k, [v, t]] of Object.entries(r.fields)) {
      Object.defineProperty(fields, k, { value: v, enumerable: true, writable: true, configurable: true });
      if (t !== null)
        Object.defineProperty((types ??= {}), k, { value: t, enumerable: true, writable: true });
    }
    return new Metric(r.name, r.tags, fields, r.timeMs, r.timeNs, types);
  });

/** What a metric decodes to: an unmarked bigint field comes back marked `int`. */
function withBigintsMarked(m: Metric): Metric {
  const out = m.clone();
  for (const [k, v] of Object.entries(out.fields))
    if (typeof v === 'bigint' && (out.fieldTypes === null || !Object.hasOwn(out.fieldTypes, k)))
      Object.defineProperty((out.fieldTypes ??= {}), k, { value: 'int', enumerable: true, writable: true });
  return out;
}

/** A one-metric batch written by hand: version 1, count 1, then `metric` bytes. */
function handBatch(...metric: number[]): Buffer {
  return Buffer.from([BINARY_FORMAT_VERSION, 1, ...metric]);
}

/** The parse error's message of decoding `bytes`. */
function parseError(bytes: Uint8Array): string {
  try {
    decodeBatch(bytes);
  } catch (err) {
    expect(err).toBeInstanceOf(VivaError);
    expect((err as VivaError).code).toBe(ErrorCode.PARSE);
    return (err as VivaError).message;
  }
  throw new Error('expected a parse error');
}

// Metric bytes: flags 0, name REF_NEW "m", time delta 0, timeNs 0, no tags (END).
const HEAD = [0, 1, 1, 0x6d, 0, 0, 0];
// A field key: REF_NEW "f".
const KEY = [1, 1, 0x66];

describe('binary codec', () => {
  it('should round-trip typical metrics exactly', () => {
    const batch = Array.from({ length: 50 }, (_, i) => cpu(i));
    expect(roundTrip(batch)).toEqual(batch);
  });

  it('should start with the version byte and count the metrics in the header', () => {
    const buf = encodeBatch([cpu(1), cpu(2)]);
    expect(buf[0]).toBe(BINARY_FORMAT_VERSION);
    expect(peekBatchCount(buf)).toBe(2);
  });

  it('should keep integers beyond 2^53 and the full uint64 range exact', () => {
    const m = new Metric('big', {}, {}, 0, 0);
    m.setInt('max_u64', 2n ** 64n - 1n, 'uint');
    m.setInt('min_i64', -(2n ** 63n));
    m.setInt('max_i64', 2n ** 63n - 1n);
    m.setInt('small_big', 5n);
    m.setInt('neg', -(2 ** 53) + 1);
    m.setInt('u', 2 ** 53 - 1, 'uint');
    m.fields.raw = 2n ** 70n;
    const [out] = roundTrip([m]);
    expect(out).toEqual(withBigintsMarked(m));
    expect(out.fieldType('max_u64')).toBe('uint');
    expect(typeof out.fields.small_big).toBe('bigint');
    expect(out.fieldType('raw')).toBe('int');
  });

  it('should keep NaN, infinities, negative zero and float-typed integers', () => {
    const m = new Metric('f', {}, { nan: NaN, inf: -Infinity, nz: -0, whole: 3, big: 1e300 }, -5, 999_999);
    const [out] = roundTrip([m]);
    expect(out).toEqual(m);
    expect(Object.is(out.fields.nz, -0)).toBe(true);
    expect(out.fieldTypes).toBeNull();
  });

  it('should keep unicode, empty strings, empty tags and a "__proto__" key', () => {
    const tags = JSON.parse('{"__proto__":"x","":"","emoji 🚀":"名前"}') as Record<string, string>;
    const m = new Metric('измерение', tags, { s: 'ünïcødé 🎉 '.repeat(20), e: '', b: false, t: true }, 1, 2);
    const [out] = roundTrip([m]);
    expect(out).toEqual(m);
    expect(Object.keys(out.tags)).toEqual(Object.keys(tags));
    expect(Object.getPrototypeOf(out.tags)).toBe(Object.prototype);
  });

  it('should encode an empty batch', () => {
    expect(roundTrip([])).toEqual([]);
  });

  it('should reuse the string table so repeated metrics stay small', () => {
    const one = encodeBatch([cpu(0)]).length;
    const many = encodeBatch(Array.from({ length: 101 }, (_, i) => cpu(i))).length;
    expect((many - one) / 100).toBeLessThan(one / 2);
  });

  it('should round-trip any batch of metrics (property)', () => {
    fc.assert(
      fc.property(fc.array(metric, { maxLength: 20 }), (batch) => {
        expect(roundTrip(batch)).toEqual(batch.map(withBigintsMarked));
      }),
      { numRuns: 300 },
    );
  });

  it('should reject every truncation of a valid batch with a parse error', () => {
    const buf = encodeBatch([cpu(1), cpu(2), cpu(3)]);
    for (let n = 0; n < buf.length; n++) expectParseError(() => decodeBatch(buf.subarray(0, n)));
    expectParseError(() => decodeBatch(Buffer.concat([buf, Buffer.from([0])])));
  });

  it('should reject an unknown version', () => {
    const buf = encodeBatch([cpu(1)]);
    buf[0] = 99;
    expectParseError(() => decodeBatch(buf));
    expectParseError(() => peekBatchCount(buf));
  });

  it('should never crash or hang on garbage (property)', () => {
    const valid = encodeBatch(Array.from({ length: 5 }, (_, i) => cpu(i)));
    const garbage = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.concat([Buffer.from([BINARY_FORMAT_VERSION]), b])),
      fc
        .array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1 })
        .map((flips) => {
          const b = Buffer.from(valid);
          for (const [at, v] of flips) b[at] = v;
          return b;
        }),
    );
    fc.assert(
      fc.property(garbage, (bytes) => {
        try {
          const out = decodeBatch(bytes);
          for (const m of out) expect(m).toBeInstanceOf(Metric);
        } catch (err) {
          expect(err).toBeInstanceOf(VivaError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('should reject a metric without fields, saying where it starts', () => {
    // Found by the fuzz test (mutation of a field count to 0); line protocol rejects it too.
    expect(parseError(handBatch(...HEAD, 0))).toBe('binary batch malformed: metric without fields at byte 2');
  });

  it('should reject a bigint field without an int or uint type', () => {
    // Found by the fuzz test: kind K_I64 with marker 0 decoded to a bigint a Metric never holds.
    const bytes = handBatch(...HEAD, ...KEY, 3, 1, 0, 0, 0, 0, 0, 0, 0, 0);
    expect(parseError(bytes)).toBe('binary batch malformed: bigint field without int/uint type at byte 12');
  });

  it('should reject an int or uint type on a string or boolean field', () => {
    // Found by the fuzz test: marker int on K_STRING / K_TRUE decoded to an "int" string.
    const str = handBatch(...HEAD, ...KEY, 0x16, 1, 0x78, 0);
    expect(parseError(str)).toBe('binary batch malformed: int/uint type on a non-number field at byte 12');
    const bool = handBatch(...HEAD, ...KEY, 0x27, 0);
    expect(parseError(bool)).toBe('binary batch malformed: int/uint type on a non-number field at byte 12');
  });

  it('should reject a field or tag key given twice', () => {
    const field = handBatch(...HEAD, ...KEY, 7, 3, 8, 0);
    expect(parseError(field)).toBe('binary batch malformed: duplicate field key at byte 13');
    const tags = handBatch(0, 1, 1, 0x6d, 0, 0, 1, 1, 0x74, 1, 1, 0x76, 3, 3, 0, ...KEY, 7, 0);
    expect(parseError(tags)).toBe('binary batch malformed: duplicate tag key at byte 14');
  });

  it('should reject an empty metric name', () => {
    // Found by the fuzz test (VIVA_FUZZ_RUNS=50, seed -156322044); line protocol rejects it too.
    const bytes = handBatch(0, 1, 0, 0, 0, 0, ...KEY, 7, 0);
    expect(parseError(bytes)).toBe('binary batch malformed: empty metric name at byte 3');
  });

  it('should refuse to encode a metric without fields or name rather than write what cannot be decoded', () => {
    const empty = new Metric('m', {}, {}, 0);
    const nameless = new Metric('', {}, { v: 1 }, 0);
    expectParseError(() => encodeBatch([cpu(0), empty]));
    expectParseError(() => encodeBatch([nameless]));
    expect([empty, nameless, cpu(0)].map(encodable)).toEqual([false, false, true]);
  });

  it('should drop a stale int marker on a string field and mark an unmarked bigint as int', () => {
    const m = new Metric('m', {}, { s: 'x', b: 2n ** 70n }, 0, 0, { s: 'int' });
    const [out] = roundTrip([m]);
    expect(out.fields).toEqual(m.fields);
    expect(out.fieldTypes).toEqual({ b: 'int' });
    expect(out.fieldType('s')).toBe('string');
  });
});
