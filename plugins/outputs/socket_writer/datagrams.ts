/**
 * Packs a batch into datagrams of whole metrics, each below a size limit: each datagram is a
 * complete document of the format (line protocol lines, or one JSON batch). A metric too large
 * for any datagram is left out and reported by its index.
 */
import type { Serializer } from '../../../core/format/types.ts';
import type { Metric } from '../../../core/model/metric/metric.ts';

/** Datagrams to send, and indices of metrics that fit in none. */
export interface Packed {
  datagrams: Buffer[];
  tooLarge: number[];
}

export function packDatagrams(metrics: readonly Metric[], serializer: Serializer, max: number): Packed {
  const datagrams: Buffer[] = [];
  const tooLarge: number[] = [];
  let group: Metric[] = [];
  let groupSize = 0;
  const flush = (): void => {
    if (group.length === 0) return;
    datagrams.push(serializer.serialize(group));
    group = [];
    groupSize = 0;
  };
  for (let i = 0; i < metrics.length; i++) {
    // Alone, a metric's size bounds its share of a group (a JSON wrapper is counted each time).
    const size = serializer.serialize([metrics[i]]).length;
    if (size === 0) continue;
    if (size > max) {
      tooLarge.push(i);
      continue;
    }
    if (groupSize + size > max) flush();
    group.push(metrics[i]);
    groupSize += size;
  }
  flush();
  return { datagrams, tooLarge };
}
