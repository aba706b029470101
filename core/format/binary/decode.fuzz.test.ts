import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode, VivaError } from '../../model/errors/index.ts';
import { Metric } from '../../model/metric/metric.ts';
import { fuzzRuns, malformations, mutatedBytes } from '../testing.ts';
import { decodeBatch, encodeBatch, peekBatchCount } from './codec.ts';

function sample(i: number): Metric {
  const m = new Metric(
    i % 2 === 0 ? 'cpu' : 'mem "quoted" \\ \0',
    { host: `host-${i % 3}`, region: 'eu' },
    { usage: 97.5 - i, s: 'x\n"y"', b: i % 2 === 0, neg: -0.25 },
    1_700_000_000_000 + i * 1000,
    i * 1000,
  );
  m.setInt('ctx', i * 12345);
  if (i === 2) m.setInt('big', 2n ** 64n - 1n, 'uint');
  return m;
}

/** Malformations the binary format deliberately carries (see decodeOrParseError). */
const CARRIED = /^(NaN field |bad timeMs$|bad timeNs$|bad tag $)/;

const VALID = [encodeBatch([]), encodeBatch([sample(0)]), encodeBatch([0, 1, 2, 3].map(sample))];

/** Decodes: either metrics that are well formed, or a VivaError with code PARSE; nothing else. */
function decodeOrParseError(bytes: Uint8Array): Metric[] | null {
  let out: Metric[];
  try {
    out = decodeBatch(bytes);
  } catch (err) {
    expect(err).toBeInstanceOf(VivaError);
    expect((err as VivaError).code).toBe(ErrorCode.PARSE);
    expect((err as VivaError).message).toMatch(/^binary batch malformed: /);
    return null;
  }
  // The format stores what an in-memory Metric may hold, including NaN, non-integral times and an
  // empty tag key (codec.test.ts keeps them; serializers skip them later, counted), so those are
  // not wrong here.
  for (const m of out) expect(malformations(m).filter((x) => !CARRIED.test(x))).toEqual([]);
  // A success is a real batch: it survives its own round trip unchanged. (The format has no
  // checksum, so a flipped bit inside a value can decode to another valid value.)
  expect(decodeBatch(encodeBatch(out))).toEqual(out);
  return out;
}

describe('binary batch decoder fuzz', () => {
  it('should reject random bytes with a parse error, never a crash', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), (bytes) => {
        decodeOrParseError(bytes);
        try {
          expect(Number.isSafeInteger(peekBatchCount(bytes))).toBe(true);
        } catch (err) {
          expect((err as VivaError).code).toBe(ErrorCode.PARSE);
        }
      }),
      { numRuns: fuzzRuns(500) },
    );
  });

  it('should reject every strict truncation of a valid batch', () => {
    for (const v of VALID)
      for (let n = 0; n < v.length; n++) expect(decodeOrParseError(v.subarray(0, n))).toBeNull();
  });

  it('should give a parse error or an exact success on mutated valid batches', () => {
    fc.assert(
      fc.property(mutatedBytes(VALID), (bytes) => {
        decodeOrParseError(bytes);
      }),
      { numRuns: fuzzRuns(500) },
    );
  });
});
