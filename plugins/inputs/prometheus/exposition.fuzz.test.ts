import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fuzzRuns, fuzzText, mutatedText } from '../../../core/format/testing.ts';
import { parseExposition, type Exposition } from './exposition.ts';

const SAMPLES = [
  '# HELP http_requests_total The total.\n# TYPE http_requests_total counter\nhttp_requests_total{method="post",code="200"} 1027 1395066363000\n',
  '# TYPE x counter\nx_total 5 # {trace_id="a"} 1\ny 2 1700000000.5\n# EOF\n',
  'msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9\n',
  '# TYPE h histogram\nh_bucket{le="0.05"} 24054\nh_bucket{le="+Inf"} 144320\nh_sum 53423\nh_count 144320\nnan NaN\ninf -Inf\n',
];

function wellFormed(r: Exposition): void {
  for (const s of r.samples) {
    expect(typeof s.name).toBe('string');
    expect(typeof s.value).toBe('number');
    if (s.timestampMs !== null) expect(Number.isSafeInteger(s.timestampMs)).toBe(true);
  }
  for (const e of r.errors) {
    expect(Number.isInteger(e.line) && e.line >= 1).toBe(true);
    expect(typeof e.message).toBe('string');
  }
}

describe('Prometheus exposition parser fuzz', () => {
  it('should never throw on arbitrary or mutated exposition text', () => {
    fc.assert(
      fc.property(fc.oneof(fuzzText(), mutatedText(SAMPLES)), (text) => wellFormed(parseExposition(text))),
      { numRuns: fuzzRuns(500) },
    );
  });
});
