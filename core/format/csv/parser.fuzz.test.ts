import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fuzzRuns, fuzzText, malformations, mutatedText } from '../testing.ts';
import type { ParseResult } from '../types.ts';
import { CsvParser, type CsvOptions } from './index.ts';

const SAMPLES = [
  'timestamp,value\n2014-07-01 00:00:00,10844\n2014-07-01 00:30:00,8127.5\n',
  'time,host,"a ""quoted"" col",v\n1700000000,h1,"x,y\ninside",1e308\n1700000001,h2,,-0\n',
  'name,tag,v\r\ncpu,"a\\b",99999999999999999999999\r\n,,\r\n# not a comment\n',
];

const OPTIONS: CsvOptions[] = [
  {},
  { timestampColumn: 'time', timestampFormat: 'unix', tagColumns: ['host'] },
  { measurementColumn: 'name', tagColumns: ['tag'], comment: '#' },
  {
    header: false,
    columns: ['a', 'b', 'c'],
    delimiter: ';',
    timestampColumn: 'a',
    timestampFormat: 'rfc3339',
  },
  { timestampFormat: '2006-01-02 15:04:05', valueColumns: ['value', 'v'] },
];

function wellFormed(r: ParseResult): void {
  for (const m of r.metrics) expect(malformations(m)).toEqual([]);
  for (const e of r.errors) {
    expect(Number.isInteger(e.line) && e.line >= 1).toBe(true);
    expect(typeof e.message).toBe('string');
  }
}

describe('CSV parser fuzz', () => {
  it('should never throw on arbitrary or mutated CSV, one call or several on one parser', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fuzzText(), mutatedText(SAMPLES)), { minLength: 1, maxLength: 3 }),
        fc.constantFrom(...OPTIONS),
        (texts, opts) => {
          const parser = new CsvParser(opts);
          for (const text of texts) wellFormed(parser.parse(text, { defaultTime: [0, 0] }));
        },
      ),
      { numRuns: fuzzRuns(300) },
    );
  });
});
