import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fuzzRuns, fuzzText, mutatedText } from '../../../core/format/testing.ts';
import { parseStatsdLine, type StatEvent } from './parse.ts';

const SAMPLES = [
  'gorets:1|c|@0.1',
  'glork:320|ms|@0.5\ngaugor:-10|g\ngaugor:+4|g\nuniques:765|s',
  'page.views,host=a,env=prod:1|c|#region:eu,debug',
  'dd.metric:1:2:3|h|@1|#k:v,k2\nx:9999999999999999999999|c|@0.000001\nset:"q\\\\"|s',
];

/** Parses a packet line by line like the listener: an error message or events, never a throw. */
function parsePacket(text: string, datadog: boolean): void {
  for (const line of text.split('\n')) {
    const out: StatEvent[] = [];
    const err = parseStatsdLine(line, datadog, out);
    if (err !== undefined) expect(typeof err).toBe('string');
    for (const e of out) {
      expect(typeof e.bucket).toBe('string');
      expect(Number.isNaN(e.rate) || (e.rate > 0 && e.rate <= 1)).toBe(true);
    }
  }
}

describe('statsd parser fuzz', () => {
  it('should never throw on arbitrary or mutated statsd lines, plain or DogStatsD', () => {
    fc.assert(
      fc.property(fc.oneof(fuzzText(), mutatedText(SAMPLES)), fc.boolean(), (text, datadog) =>
        parsePacket(text, datadog),
      ),
      { numRuns: fuzzRuns(500) },
    );
  });
});
