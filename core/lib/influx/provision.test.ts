import { describe, expect, it } from 'vitest';
import { createCqStatement, ident, influxDuration, parseGoDuration } from './provision.ts';

describe('InfluxDB provisioning statements', () => {
  it('should read the durations SHOW RETENTION POLICIES prints', () => {
    expect(parseGoDuration('168h0m0s')).toBe(7 * 86_400_000);
    expect(parseGoDuration('1h30m0s')).toBe(5_400_000);
    expect(parseGoDuration('0s')).toBe(0);
  });

  it('should write durations InfluxQL accepts, INF for forever', () => {
    expect(influxDuration(0)).toBe('INF');
    expect(influxDuration(7 * 86_400_000)).toBe('604800s');
    expect(influxDuration(1500)).toBe('1500ms');
  });

  it('should quote names and escape quotes in them', () => {
    expect(ident('raw')).toBe('"raw"');
    expect(ident('a"b')).toBe('"a\\"b"');
  });

  it('should wrap the query in CREATE CONTINUOUS QUERY with its RESAMPLE clause', () => {
    const q = 'SELECT max(v) INTO r.m FROM m GROUP BY time(1h)';
    expect(
      createCqStatement('db', { name: 'c', query: q, resampleEvery: 600_000, resampleFor: 7_200_000 }),
    ).toBe(`CREATE CONTINUOUS QUERY "c" ON "db" RESAMPLE EVERY 600s FOR 7200s BEGIN ${q} END`);
    expect(createCqStatement('db', { name: 'c', query: q, resampleEvery: 0, resampleFor: 0 })).toBe(
      `CREATE CONTINUOUS QUERY "c" ON "db" BEGIN ${q} END`,
    );
  });
});
