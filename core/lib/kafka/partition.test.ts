import { describe, expect, it } from 'vitest';
import { Metric } from '../../model/metric/metric.ts';
import { keyHash, partitionOfKey, seriesPartition } from './partition.ts';

describe('series partitioning', () => {
  it("should hash keys exactly as the Java client's murmur2 (Kafka's own test vectors, made positive)", () => {
    // org.apache.kafka.common.utils.UtilsTest#testMurmur2, each & 0x7fffffff (Utils.toPositive).
    const java: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [key, hash] of java) expect(keyHash(key), key).toBe(hash & 0x7fffffff);
  });

  it('should put every metric of a series on the same partition, whatever its fields, time or tag order', () => {
    const a = new Metric('cpu', { host: 'h1', region: 'eu' }, { usage: 1 }, 1000);
    const b = new Metric('cpu', { region: 'eu', host: 'h1' }, { usage: 99, idle: 3 }, 999_999);
    for (const n of [1, 3, 4, 12]) expect(seriesPartition(b, n)).toBe(seriesPartition(a, n));
    expect(seriesPartition(a, 12)).toBe(partitionOfKey('cpu,host=h1,region=eu', 12));
  });

  it('should spread distinct series over the partitions', () => {
    const counts = new Array<number>(4).fill(0);
    for (let i = 0; i < 400; i++)
      counts[seriesPartition(new Metric('m', { host: `h${i}` }, { v: 1 }, 0), 4)]++;
    for (const c of counts) expect(c).toBeGreaterThan(50);
  });
});
