import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fuzzRuns, fuzzText, malformations, mutatedBytes, mutatedText } from '../testing.ts';
import type { ParseResult } from '../types.ts';
import { LineProtocolParser, parseLineProtocol } from './parser.ts';

const SAMPLES = [
  'cpu,host=a,region=eu usage=1.5,n=3i,u=7u,s="x",b=true 1699999999123456789\n',
  'weather,location=us\\ midwest temperature=82 1465839830100400200\nm f=1\n',
  'esc\\,aped,t\\=k=v\\ x f="a \\"quoted\\" \\\\ string",g=-9223372036854775808i\n# comment\n',
  'm,a=1,b=2 f=1e10,g=-0.5,h=18446744073709551615u 1\r\nm,a=1,b=2 f=2 2\n\n',
];

/** Every result is well formed: metrics pass malformations(), errors carry a line and a message. */
function wellFormed(r: ParseResult): void {
  for (const m of r.metrics) expect(malformations(m)).toEqual([]);
  for (const e of r.errors) {
    expect(Number.isInteger(e.line) && e.line >= 1).toBe(true);
    expect(typeof e.message).toBe('string');
  }
}

const input = fc.oneof(fuzzText(), mutatedText(SAMPLES));

describe('line protocol parser fuzz', () => {
  it('should never throw on arbitrary or mutated text, as a string or a Buffer', () => {
    fc.assert(
      fc.property(input, (text) => {
        wellFormed(parseLineProtocol(text, { defaultTime: [0, 0] }));
        wellFormed(parseLineProtocol(Buffer.from(text, 'latin1'), { defaultTime: [0, 0] }));
      }),
      { numRuns: fuzzRuns(300) },
    );
  });

  it('should never throw on mutated bytes with any precision', () => {
    fc.assert(
      fc.property(
        mutatedBytes(SAMPLES.map((s) => Buffer.from(s))),
        fc.constantFrom('ns', 'us', 'ms', 's', 'm', 'h') as fc.Arbitrary<'ns'>,
        (bytes, precision) => wellFormed(parseLineProtocol(Buffer.from(bytes), { precision })),
      ),
      { numRuns: fuzzRuns(300) },
    );
  });

  it('should give a remembering parser (series cache) the same results as a fresh parse, call after call', () => {
    fc.assert(
      fc.property(
        fc.array(input, { minLength: 1, maxLength: 6 }),
        fc.constantFrom(0, 2, 3, 64),
        (texts, size) => {
          const parser = new LineProtocolParser({ seriesCache: size });
          for (const text of [...texts, ...texts]) {
            const got = parser.parse(text, { defaultTime: [0, 0] });
            wellFormed(got);
            expect(got).toEqual(parseLineProtocol(text, { defaultTime: [0, 0] }));
          }
          const stats = parser.seriesCacheStats();
          if (stats !== null) expect(stats.size).toBeLessThanOrEqual(stats.capacity);
        },
      ),
      { numRuns: fuzzRuns(150) },
    );
  });
});
