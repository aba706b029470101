/**
 * Where the kafka output puts a series: the message key is the series key (`seriesKey`: the
 * measurement, then the tags sorted by key, as line protocol writes them), and the partition is
 * `toPositive(murmur2(key bytes, seed 0x9747b28c)) % partitions`, the Java client's default
 * partitioner (Utils.murmur2, Utils.toPositive = & 0x7fffffff). So a series always lands on the
 * same partition of a topic (as long as its partition count does not change) and stays in order,
 * and VIVA, Java, librdkafka's `murmur2_random` and kcat agree on it.
 */
import { compatibilityPartitioner } from '@platformatic/kafka';
import { seriesKey } from '../../model/metric/metric.ts';
import type { Metric } from '../../model/metric/metric.ts';

/** toPositive(murmur2(key)): the hash the Java client takes the partition from. */
export function keyHash(key: string | Buffer): number {
  return compatibilityPartitioner(undefined as never, typeof key === 'string' ? Buffer.from(key) : key);
}

/** The partition of a message key in a topic of `partitions` partitions. */
export function partitionOfKey(key: string | Buffer, partitions: number): number {
  return keyHash(key) % partitions;
}

/** The partition a metric's series goes to with `routing_key = "series"`. */
export function seriesPartition(metric: Metric, partitions: number): number {
  return partitionOfKey(seriesKey(metric), partitions);
}
