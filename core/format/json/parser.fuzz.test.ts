import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fuzzRuns, fuzzText, malformations, mutatedText } from '../testing.ts';
import type { ParseResult } from '../types.ts';
import { JsonParser, parseJson } from './parser.ts';

const SAMPLES = [
  '[{"name":"cpu","tags":{"host":"a"},"fields":{"usage":1.5,"n":3,"s":"x","b":true},"timestamp":1699999999123456789}]',
  '{"name":"m","fields":{"v":-0.5e10,"esc":"a\\"b\\\\c\\u0000\\n"},"timestamp":"2024-01-02T03:04:05.123456789Z"}',
  '{"metrics":[{"name":"a","fields":{"x":1}},{"name":"b","tags":{"k\\\\":"v"},"fields":{"y":1e308},"timestamp":1.5}]}',
  '[{"name":"big","fields":{"f":18446744073709551616},"timestamp":99999999999999999999}]',
];

function wellFormed(r: ParseResult): void {
  for (const m of r.metrics) expect(malformations(m)).toEqual([]);
  for (const e of r.errors) {
    expect(Number.isInteger(e.line) && e.line >= 1).toBe(true);
    expect(typeof e.message).toBe('string');
  }
}

/** Any JSON value, deep and full of odd keys, as text. */
const jsonDoc = fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v));

describe('JSON parser fuzz', () => {
  it('should never throw on arbitrary text, arbitrary JSON values or mutated samples', () => {
    fc.assert(
      fc.property(
        fc.oneof(fuzzText(), jsonDoc, mutatedText(SAMPLES)),
        fc.constantFrom('auto', 's', 'ms', 'us', 'ns') as fc.Arbitrary<'auto'>,
        (text, unit) => {
          wellFormed(parseJson(text, { defaultTime: [0, 0] }));
          wellFormed(
            new JsonParser({ timestampUnits: unit }).parse(Buffer.from(text), { defaultTime: [0, 0] }),
          );
        },
      ),
      { numRuns: fuzzRuns(300) },
    );
  });

  it('should never throw on metric-shaped objects with arbitrary members', () => {
    const member = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant(undefined));
    const record = fc.record(
      { name: member, tags: member, fields: member, timestamp: member },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.array(record, { maxLength: 5 }), (records) => {
        wellFormed(parseJson(JSON.stringify(records), { defaultTime: [0, 0] }));
      }),
      { numRuns: fuzzRuns(300) },
    );
  });
});
