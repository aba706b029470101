import { describe, expect, it } from 'vitest';
import { Metric } from '../../model/metric/metric.ts';
import { rejectedMetrics } from './rejections.ts';

const metrics = (n: number): Metric[] =>
  Array.from({ length: n }, (_, i) => new Metric('m', { host: `h${i}` }, { v: i + 0.5 }, 1_000 + i));

describe('rejectedMetrics', () => {
  it('should name the metrics whose lines InfluxDB quotes as unparsable', () => {
    const batch = metrics(3);
    const message = "partial write: unable to parse 'm,host=h2 v=2.5 1002000000': invalid number dropped=0";
    expect(rejectedMetrics(message, batch, 'ns')).toEqual([
      { index: 2, reason: 'unparsable: invalid number' },
    ]);
  });

  it('should name the metrics of a field type conflict by measurement, field and type', () => {
    const batch = metrics(4);
    batch[0].setInt('v', 1);
    batch[3].name = 'other';
    const message =
      'partial write: field type conflict: input field "v" on measurement "m" is type float, already exists as type integer dropped=2';
    expect(rejectedMetrics(message, batch, 'ns').map((r) => r.index)).toEqual([1, 2]);
  });

  it('should count unidentified drops against the last metrics so the totals stay right', () => {
    const rejected = rejectedMetrics(
      'partial write: points beyond retention policy dropped=2',
      metrics(5),
      'ns',
    );
    expect(rejected.map((r) => r.index)).toEqual([3, 4]);
    expect(rejected[0].reason).toMatch(/points beyond retention policy .*count only/);
  });
});
