import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lineProtocolMetric, malformations } from '../testing.ts';
import { parseLineProtocol } from './parser.ts';
import { serializeLineProtocol } from './serializer.ts';

const RUNS = { numRuns: 300 };

describe('line protocol round trip', () => {
  it('should parse what it serialized back to equal metrics', () => {
    fc.assert(
      fc.property(fc.array(lineProtocolMetric(), { minLength: 1, maxLength: 20 }), (metrics) => {
        const r = parseLineProtocol(serializeLineProtocol(metrics).data);
        expect(r.errors).toEqual([]);
        expect(r.metrics).toEqual(metrics);
        for (let i = 0; i < metrics.length; i++) {
          expect(r.metrics[i].fieldTypes ?? {}).toEqual(metrics[i].fieldTypes ?? {});
          for (const [k, v] of Object.entries(metrics[i].fields))
            expect(Object.is(r.metrics[i].fields[k], v)).toBe(true);
        }
      }),
      RUNS,
    );
  });

  it('should serialize canonical lines it parsed back to the same bytes', () => {
    fc.assert(
      fc.property(fc.array(lineProtocolMetric(), { minLength: 1, maxLength: 20 }), (metrics) => {
        const canonical = serializeLineProtocol(metrics).data;
        const again = serializeLineProtocol(parseLineProtocol(canonical).metrics).data;
        expect(again.toString()).toBe(canonical.toString());
      }),
      RUNS,
    );
  });

  it('should parse the same metrics whatever the precision, within that precision', () => {
    // Flooring toward -infinity can leave int64 nanoseconds in the last second before 1677.
    const metric = lineProtocolMetric().filter((m) => m.timeMs > -9223372036000);
    fc.assert(
      fc.property(metric, fc.constantFrom('us', 'ms', 's' as const), (m, precision) => {
        const r = parseLineProtocol(serializeLineProtocol([m], precision).data, { precision });
        expect(r.errors).toEqual([]);
        const unitNs = { us: 1e3, ms: 1e6, s: 1e9 }[precision];
        const back = BigInt(r.metrics[0].timeMs) * 1_000_000n + BigInt(r.metrics[0].timeNs);
        const orig = BigInt(m.timeMs) * 1_000_000n + BigInt(m.timeNs);
        expect(orig - back >= 0n && orig - back < BigInt(unitNs)).toBe(true);
      }),
      RUNS,
    );
  });
});

describe('LineProtocolParser on arbitrary input', () => {
  const check = (input: Buffer | string) => {
    const r = parseLineProtocol(input);
    for (const m of r.metrics) expect(malformations(m)).toEqual([]);
    const lines = (typeof input === 'string' ? input : input.toString('latin1')).split('\n').length;
    for (const e of r.errors) {
      expect(e.line).toBeGreaterThanOrEqual(1);
      expect(e.line).toBeLessThanOrEqual(lines);
      expect(e.message.startsWith(`line ${e.line}: `)).toBe(true);
    }
  };

  it('should never throw on random bytes and return only well-formed metrics', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => check(Buffer.from(bytes))),
      { numRuns: 2000 },
    );
  });

  it('should never throw on random text made of line protocol pieces', () => {
    const piece = fc.constantFrom(
      'm',
      'cpu',
      ',',
      '=',
      ' ',
      '"',
      '\\',
      '\n',
      '\r\n',
      '#',
      't',
      'true',
      'F',
      '1',
      '-',
      '.',
      'e',
      'i',
      'u',
      '9223372036854775807',
      '1699999999123456789',
      'é',
      '\u0000',
      'x=1',
      ' f=1',
      'f="a b"',
      ',t=v',
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 60 }), (parts) => check(parts.join(''))),
      { numRuns: 3000 },
    );
  });

  it('should never throw on random strings', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), check), { numRuns: 1000 });
  });

  it('should keep the good lines around any bad line', () => {
    fc.assert(
      fc.property(
        fc.array(lineProtocolMetric(), { minLength: 2, maxLength: 6 }),
        fc.string({ maxLength: 30 }),
        (metrics, junk) => {
          const good = serializeLineProtocol(metrics).data.toString();
          const bad = 'x' + junk.replace(/[\n"]/g, '') + ' =\n';
          const r = parseLineProtocol(bad + good + bad);
          expect(r.metrics).toEqual(metrics);
          expect(r.errors.length).toBe(2);
        },
      ),
      RUNS,
    );
  });
});
