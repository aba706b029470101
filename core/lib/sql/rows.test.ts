import { describe, expect, it } from 'vitest';
import { Metric } from '../../model/metric/metric.ts';
import { compareMarks } from './marks.ts';
import { cellTime, parseTimestamp, rowsToMetrics, setCellField } from './rows.ts';

describe('SQL rows to metrics', () => {
  it('should keep integer columns integers, bigint beyond 2^53 exact, unsigned as unsigned', () => {
    const m = new Metric('t', {}, {}, 0);
    setCellField(m, 'a', 42, 'int');
    setCellField(m, 'b', 9223372036854775807n, 'int');
    setCellField(m, 'c', 7, 'uint');
    setCellField(m, 'd', 1, 'float');
    setCellField(m, 'e', 2.5, 'auto');
    expect(m.fields).toEqual({ a: 42, b: 9223372036854775807n, c: 7, d: 1, e: 2.5 });
    expect([m.fieldType('a'), m.fieldType('b'), m.fieldType('c'), m.fieldType('d')]).toEqual([
      'int',
      'int',
      'uint',
      'float',
    ]);
  });

  it('should read timestamps exactly to the nanosecond, honouring an offset', () => {
    expect(parseTimestamp('2026-12-03 10:00:00.123456789+01')).toEqual([
      Date.UTC(2026, 11, 3, 9, 0, 0, 123),
      456789,
    ]);
    expect(parseTimestamp('2026-12-03T10:00:00Z')).toEqual([Date.UTC(2026, 11, 3, 10), 0]);
    expect(parseTimestamp('2026-12-03')).toEqual([Date.UTC(2026, 11, 3), 0]);
    expect(parseTimestamp('yesterday')).toBeUndefined();
  });

  it('should read numeric times in their unit since the epoch, integers exactly', () => {
    expect(cellTime(1764140575123456789n, 'unix_ns')).toEqual([1764140575123, 456789]);
    expect(cellTime(1764140575123, 'unix_ms')).toEqual([1764140575123, 0]);
    expect(cellTime('1700000000', 'unix')).toEqual([1_700_000_000_000, 0]);
    expect(cellTime(1700000000.5, 'unix')).toEqual([1_700_000_000_500, 0]);
    expect(cellTime(-1n, 'unix_ns')).toEqual([-1, 999_999]);
  });

  it('should make tags of tag columns and fields of the rest, leaving NULLs out', () => {
    const r = rowsToMetrics(
      {
        columns: [
          { name: 'host', kind: 'string' },
          { name: 'n', kind: 'int' },
          { name: 'at', kind: 'time' },
        ],
        rows: [
          ['a', 1, '2026-01-01 00:00:00'],
          ['b', null, null],
        ],
      },
      { measurement: 'm', tag_columns: ['host'], field_columns: [], time_column: 'at', time_format: 'unix' },
      {},
      5,
    );
    expect(r.metrics.map((m) => [m.tags, m.fields, m.timeMs])).toEqual([
      [{ host: 'a' }, { n: 1 }, Date.UTC(2026, 0, 1)],
    ]);
    expect(r.empty).toBe(1);
  });

  it('should order marks as integers, numbers, times or text', () => {
    expect(compareMarks(9007199254740993n, 9007199254740992)).toBeGreaterThan(0);
    expect(compareMarks('2026-01-01 00:00:00.000001', '2026-01-01 00:00:00')).toBeGreaterThan(0);
    expect(compareMarks('2026-01-01 01:00:00+02', '2026-01-01 00:00:00+00')).toBeLessThan(0);
    expect(compareMarks('b', 'a')).toBeGreaterThan(0);
  });
});
