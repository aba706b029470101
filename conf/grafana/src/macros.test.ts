import { describe, expect, it } from 'vitest';
import { expandQuery, formatInterval, type MacroContext } from './macros.ts';

const ctx: MacroContext = {
  from: 1_700_000_000_000,
  to: 1_700_000_600_000,
  intervalMs: 2000,
  scrapeIntervalMs: 15_000,
  variables: { host: ['web-1'], agent: ['10.0.0.1:9273', 'b.example:9273'] },
};

describe('Grafana macro expansion', () => {
  it('should turn $timeFilter and $__interval into an InfluxQL time condition and step', () => {
    expect(
      expandQuery(
        'SELECT mean(x) FROM m WHERE "host" =~ /^$host$/ AND $timeFilter GROUP BY time($__interval)',
        'influxdb',
        ctx,
      ),
    ).toBe(
      'SELECT mean(x) FROM m WHERE "host" =~ /^web-1$/ AND time >= 1700000000000ms and time <= 1700000600000ms GROUP BY time(2s)',
    );
    expect(expandQuery('WHERE $__timeFilter', 'influxdb', ctx)).toBe(
      'WHERE time >= 1700000000000ms and time <= 1700000600000ms',
    );
  });

  it('should give $__rate_interval four scrape intervals at least, and $__range in seconds', () => {
    expect(expandQuery('rate(x[$__rate_interval])', 'prometheus', ctx)).toBe('rate(x[1m])');
    expect(expandQuery('rate(x[$__rate_interval])', 'prometheus', { ...ctx, intervalMs: 60_000 })).toBe(
      'rate(x[75s])',
    );
    expect(expandQuery('increase(x[$__range])', 'prometheus', ctx)).toBe('increase(x[600s])');
    expect(expandQuery('$__range_s $__range_ms $__interval_ms $__from $__to', 'prometheus', ctx)).toBe(
      '600 600000 2000 1700000000000 1700000600000',
    );
  });

  it('should format a multi-value variable as an escaped regex alternation, in every syntax', () => {
    // PromQL: the regex is in a double-quoted string, so its backslashes are doubled.
    const want = String.raw`(10\\.0\\.0\\.1:9273|b\\.example:9273)`;
    expect(expandQuery('x{instance=~"$agent"}', 'prometheus', ctx)).toBe(`x{instance=~"${want}"}`);
    expect(expandQuery('x{instance=~"${agent}"}', 'prometheus', ctx)).toBe(`x{instance=~"${want}"}`);
    expect(expandQuery('x{instance=~"[[agent]]"}', 'prometheus', ctx)).toBe(`x{instance=~"${want}"}`);
    expect(expandQuery('${agent:pipe}', 'prometheus', ctx)).toBe('10.0.0.1:9273|b.example:9273');
    expect(expandQuery('"host" =~ /^$agent$/', 'influxdb', ctx)).toBe(
      String.raw`"host" =~ /^(10\.0\.0\.1:9273|b\.example:9273)$/`,
    );
  });

  it('should fail on an unknown variable, an unknown macro, and a macro of the other language', () => {
    expect(() => expandQuery('x{instance=~"$agnet"}', 'prometheus', ctx)).toThrow(/unknown variable \$agnet/);
    expect(() => expandQuery('x[$__rate_intreval]', 'prometheus', ctx)).toThrow(/unknown macro/);
    expect(() => expandQuery('rate(x[$__rate_interval])', 'influxdb', ctx)).toThrow(/unknown macro/);
    expect(() => expandQuery('WHERE $timeFilter', 'prometheus', ctx)).toThrow(
      /unknown variable \$timeFilter/,
    );
    expect(() => expandQuery('${host:sqlstring}', 'influxdb', ctx)).toThrow(/unknown format/);
  });

  it('should leave a regex anchor that is no variable alone', () => {
    expect(expandQuery('"host" =~ /^a$/', 'influxdb', ctx)).toBe('"host" =~ /^a$/');
  });

  it('should print intervals in the largest whole unit', () => {
    expect([500, 15_000, 120_000, 7_200_000, 90_000].map(formatInterval)).toEqual([
      '500ms',
      '15s',
      '2m',
      '2h',
      '90s',
    ]);
  });
});
