import { describe, expect, it } from 'vitest';
import { Metric } from '../../../core/model/metric/metric.ts';
import { statusError } from './prometheus_remote_write.ts';
import { toTimeSeries } from './series.ts';

describe('prometheus_remote_write series', () => {
  it('should make one series per field with sorted labels and samples in time order', () => {
    const later = new Metric('cpu', { host: 'a', Zone: 'z' }, { usage: 2, state: 'busy' }, 2000);
    const earlier = new Metric('cpu', { Zone: 'z', host: 'a' }, { usage: 1 }, 1000);
    earlier.setInt('count', 3);
    const { series, skipped } = toTimeSeries([later, earlier]);
    expect(skipped).toBe(1);
    expect(series).toEqual([
      {
        labels: [
          ['Zone', 'z'],
          ['__name__', 'cpu_usage'],
          ['host', 'a'],
        ],
        samples: [
          { value: 1, timeMs: 1000 },
          { value: 2, timeMs: 2000 },
        ],
      },
      {
        labels: [
          ['Zone', 'z'],
          ['__name__', 'cpu_count'],
          ['host', 'a'],
        ],
        samples: [{ value: 3, timeMs: 1000 }],
      },
    ]);
  });
});

describe('prometheus_remote_write statuses', () => {
  it.each([
    [400, 'permanent'],
    [404, 'permanent'],
    [401, 'retryable'],
    [429, 'retryable'],
    [500, 'retryable'],
    [503, 'retryable'],
  ])('should treat %d as %s', (status, kind) => {
    expect(statusError(status, 'x', undefined).kind).toBe(kind);
  });

  it('should refuse for good the sample errors Prometheus answers with 500', () => {
    expect(statusError(500, 'too old sample', undefined).kind).toBe('permanent');
    expect(statusError(500, 'out of bounds', undefined).kind).toBe('permanent');
    expect(statusError(500, 'TSDB not ready', undefined).kind).toBe('retryable');
  });

  it('should honour Retry-After on 429', () => {
    expect(statusError(429, '', '4').retryAfterMs).toBe(4000);
  });
});
