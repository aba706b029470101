import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode, VivaError } from '../../model/errors/index.ts';
import { Metric } from '../../model/metric/metric.ts';
import { fuzzRuns, mutatedBytes } from '../testing.ts';
import { decodeBatch, encodeBatch, validateBatch } from './codec.ts';
import { K_BIGDEC, K_F64, K_I64, K_STRING, K_TRUE, K_U64, MAX_BIGDEC_CHARS } from './wire.ts';

/** What a call gives: the count / metric count, or the error's code and message. */
function outcome(fn: () => number): { count: number } | { code: string; message: string } {
  try {
    return { count: fn() };
  } catch (err) {
    expect(err).toBeInstanceOf(VivaError);
    return { code: (err as VivaError).code, message: (err as VivaError).message };
  }
}

/** validateBatch agrees with decodeBatch on the input; gives decodeBatch's outcome. */
function agree(bytes: Uint8Array): ReturnType<typeof outcome> {
  const decoded = outcome(() => decodeBatch(bytes).length);
  expect(outcome(() => validateBatch(bytes))).toEqual(decoded);
  return decoded;
}

/** Both reject the input with a parse error whose message is `binary batch malformed: what`. */
function rejects(bytes: number[], what: string): void {
  expect(agree(Uint8Array.from(bytes))).toEqual({
    code: ErrorCode.PARSE,
    message: `binary batch malformed: ${what}`,
  });
}

// Hand-made batches (layout in wire.ts).
/** A new string reference: REF_NEW, then the string's length and bytes. */
const str = (s: string | number[]): number[] => {
  const bytes = typeof s === 'string' ? [...Buffer.from(s, 'utf8')] : s;
  return [1, bytes.length, ...bytes];
};
/** A boolean field `key` (true). */
const flag = (key: string | number[]): number[] => [...str(key), K_TRUE];
/** A metric of flags 0 (varint times 0), with its tag pairs and fields already encoded. */
const metric = (name: number[], tags: number[], fields: number[]): number[] => [
  0,
  ...name,
  0,
  0,
  ...tags,
  0,
  ...fields,
  0,
];
const batch = (...metrics: number[][]): number[] => [1, metrics.length, ...metrics.flat()];

function sample(i: number): Metric {
  const m = new Metric(
    i % 2 === 0 ? 'cpu' : 'mem é 😀 \0',
    { host: `host-${i % 3}`, region: 'eu', __proto__x: 'p' },
    { usage: 97.5 - i, s: 'x\n"y"', b: i % 2 === 0, neg: -0.25 },
    1_700_000_000_000 + i * 1000,
    i * 1000,
  );
  m.setInt('ctx', i * 12345);
  if (i === 2) m.setInt('big', 2n ** 64n - 1n, 'uint');
  if (i === 3) m.setInt('huge', -(2n ** 70n));
  return m;
}

const VALID = [
  encodeBatch([]),
  encodeBatch([sample(0)]),
  encodeBatch([0, 1, 2, 3].map(sample)),
  Uint8Array.from(batch(metric(str('m'), [...str([0xff]), ...str('v')], [...flag([0xfe]), ...flag('é')]))),
];

describe('validateBatch', () => {
  it('should count the metrics of valid batches, as decodeBatch does', () => {
    expect(validateBatch(VALID[0])).toBe(0);
    expect(validateBatch(VALID[1])).toBe(1);
    expect(validateBatch(VALID[2])).toBe(4);
    // Keys "\xff" (a tag) and "\xfe" (a field) live in different lists: no duplicate.
    expect(validateBatch(VALID[3])).toBe(1);
    for (const v of VALID) expect(agree(v)).toEqual({ count: decodeBatch(v).length });
  });

  it('should take keys that differ, reused table entries and many keys', () => {
    const many = Array.from({ length: 40 }, (_, i) => flag(`k${i}`)).flat();
    // Second metric refers to table entries 0.. of the first: name "m" is entry 0.
    const first = metric(str('m'), [...str('a'), ...str('b'), ...str('ab'), 2 + 1], many);
    const second = [0, 2, 0, 0, 2 + 1, 2 + 2, 0, 2 + 3, K_TRUE, 0];
    expect(agree(Uint8Array.from(batch(first, second)))).toEqual({ count: 2 });
  });

  it('should agree on varints of every length in times and values, whole or cut anywhere', () => {
    const varints = [
      [0x7f],
      [0x80, 0x01],
      [0xff, 0x7f],
      [0xff, 0xff, 0x03],
      [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f],
      [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x10],
      [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00],
    ];
    const K_VARINT = 2;
    for (const v of varints) {
      const shapes = [
        [0, ...str('m'), ...v, 0, 0, ...flag('f'), 0],
        [0, ...str('m'), 0, ...v, 0, ...flag('f'), 0],
        [0, ...str('m'), 0, 0, 0, ...str('f'), K_VARINT, ...v, 0],
        [0, ...str('m'), 0, 0, 0, ...str('f'), 0x10 | K_VARINT, ...v, 0],
      ];
      for (const m of shapes) {
        const whole = batch(m);
        for (let cut = 0; cut <= whole.length; cut++) agree(Uint8Array.from(whole.slice(0, cut)));
      }
    }
  });

  it('should agree on two-byte string references (tables past 126 entries, and past 1024)', () => {
    const tags = Array.from({ length: 600 }, (_, i) => [...str(`k${i}`), ...str(`v${i}`)]).flat();
    const first = metric(str('m'), tags, flag('f'));
    // Entry 0 is "m", k<i> is entry 2i + 1, v<i> 2i + 2, "f" 1201 (past the 1024 entries the
    // validator's table starts with); a reference is entry + 2.
    const ref = (entry: number): number[] => [((entry + 2) & 127) | 128, (entry + 2) >> 7];
    const second = [0, 2, 0, 0, ...ref(301), ...ref(22), 0, ...ref(1201), K_TRUE, 0];
    expect(agree(Uint8Array.from(batch(first, second)))).toEqual({ count: 2 });
    const dup = [0, 2, 0, 0, ...ref(301), 2, ...ref(301), 2, 0, ...ref(1201), K_TRUE, 0];
    expect(agree(Uint8Array.from(batch(first, dup)))).toMatchObject({ message: /duplicate tag key/ });
    const unknown = [0, 2, 0, 0, ...ref(1202), 2, 0, ...ref(1201), K_TRUE, 0];
    expect(agree(Uint8Array.from(batch(first, unknown)))).toMatchObject({
      message: /unknown string reference/,
    });
  });

  it('should reject what decodeBatch rejects, with the same message and byte offset', () => {
    rejects([], 'unexpected end at byte 0');
    rejects([2, 0], 'unknown version at byte 0');
    rejects([1, 5, 0], 'metric count larger than the input at byte 2');
    rejects([1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0], 'varint too long at byte 9');
    rejects([1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f], 'varint out of range at byte 9');
    rejects([1, 0, 0], 'trailing bytes at byte 2');
    rejects([1, 1, 8, ...str('m'), 0, 0, 0, 0], 'bad metric flags at byte 2');
    rejects([1, 1, 1, ...str('m'), 0, 0, 0, 0], 'unexpected end at byte 6');
    rejects([1, 1, 0, 1, 9, 0x6d, 0, 0, 0, 0], 'string past the end at byte 5');
    rejects([1, 1, 0, 7, 0, 0, 0, 0], 'unknown string reference at byte 4');
    rejects([1, 1, 0, 0, 0, 0, 0, 0], 'unexpected end of list at byte 4');
    rejects(batch(metric(str(''), [], flag('f'))), 'empty metric name at byte 3');
    rejects(batch(metric(str('m'), [], [])), 'metric without fields at byte 2');
    rejects(batch(metric(str('m'), str('k'), flag('f'))).slice(0, 9), 'unexpected end at byte 9');
    rejects([...batch(metric(str('m'), [...str('k'), 0], flag('f')))], 'unexpected end of list at byte 12');
    rejects(batch(metric(str('m'), [], [...str('f'), 9])), 'unknown field kind at byte 13');
    rejects(
      batch(metric(str('m'), [], [...str('f'), 0x30 | K_F64, 0, 0, 0, 0, 0, 0, 0, 0])),
      'bad field marker at byte 12',
    );
    rejects(
      batch(metric(str('m'), [], [...str('f'), K_I64, 0, 0, 0, 0, 0, 0, 0, 0])),
      'bigint field without int/uint type at byte 12',
    );
    rejects(
      batch(metric(str('m'), [], [...str('f'), K_U64, 0, 0, 0, 0, 0, 0, 0, 0])),
      'bigint field without int/uint type at byte 12',
    );
    rejects(
      batch(metric(str('m'), [], [...str('f'), K_BIGDEC, 1, 0x37])),
      'bigint field without int/uint type at byte 12',
    );
    rejects(
      batch(metric(str('m'), [], [...str('f'), 0x10 | K_STRING, 0])),
      'int/uint type on a non-number field at byte 12',
    );
    rejects(
      batch(metric(str('m'), [], [...str('f'), 0x20 | K_TRUE])),
      'int/uint type on a non-number field at byte 12',
    );
    rejects(batch(metric(str('m'), [], [...str('f'), 0x10 | K_I64, 0, 0])), 'unexpected end at byte 13');
  });

  it('should reject decimal bigints that are not an optional minus and digits', () => {
    const dec = (digits: number[]) =>
      batch(metric(str('m'), [], [...str('f'), 0x10 | K_BIGDEC, ...str(digits).slice(1)]));
    expect(agree(Uint8Array.from(dec([0x2d, 0x31, 0x32])))).toEqual({ count: 1 });
    for (const bad of [
      [],
      [0x2d],
      [0x31, 0x2d],
      [0x31, 0x0a],
      [0x2b, 0x31],
      [0xd9, 0xa3],
      [0x31, 0x2e, 0x35],
    ])
      rejects(dec(bad), `bad decimal bigint at byte ${14 + bad.length}`);
    const long = Array.from({ length: MAX_BIGDEC_CHARS + 1 }, () => 0x31);
    const bytes = batch(metric(str('m'), [], [...str('f'), 0x10 | K_BIGDEC, 0x81, 0x20, ...long]));
    rejects(bytes, `bad decimal bigint at byte ${bytes.length - 1}`);
  });

  it('should reject a key twice in a list, however the key is referred to', () => {
    // The same table entry twice.
    rejects(
      batch(metric(str('m'), [...str('k'), ...str('v'), 2 + 1, 2 + 2], flag('f'))),
      'duplicate tag key at byte 14',
    );
    // Two entries with the same bytes.
    rejects(batch(metric(str('m'), [], [...flag('f'), ...flag('f')])), 'duplicate field key at byte 13');
    // Two different invalid UTF-8 bytes, both decoded as U+FFFD.
    rejects(
      batch(metric(str('m'), [], [...flag([0xff]), ...flag([0xfe])])),
      'duplicate field key at byte 13',
    );
    // An invalid sequence and the UTF-8 of U+FFFD itself.
    rejects(
      batch(metric(str('m'), [...str([0x80]), ...str('v'), ...str('\ufffd'), ...str('w')], flag('f'))),
      'duplicate tag key at byte 14',
    );
    // "__proto__" is a key like any other.
    rejects(
      batch(metric(str('m'), [], [...flag('__proto__'), ...flag('__proto__')])),
      'duplicate field key at byte 21',
    );
    // Past the pairwise scan: the 21st key repeats the 3rd.
    const keys = Array.from({ length: 20 }, (_, i) => flag(`k${i}`)).flat();
    const bytes = batch(metric(str('m'), [], [...keys, ...flag('k2')]));
    rejects(bytes, `duplicate field key at byte ${bytes.length - 6}`);
    const bad = batch(metric(str('m'), [], [...keys, ...flag([0xff]), ...flag([0xc0])]));
    rejects(bad, `duplicate field key at byte ${bad.length - 5}`);
  });

  it('should agree with decodeBatch on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), (bytes) => {
        agree(bytes);
      }),
      { numRuns: fuzzRuns(500) },
    );
  });

  it('should agree with decodeBatch on every truncation of a valid batch', () => {
    for (const v of VALID) for (let n = 0; n <= v.length; n++) agree(v.subarray(0, n));
  });

  it('should agree with decodeBatch on mutated valid batches', () => {
    fc.assert(
      fc.property(mutatedBytes(VALID), (bytes) => {
        agree(bytes);
      }),
      { numRuns: fuzzRuns(1000) },
    );
  });
});
