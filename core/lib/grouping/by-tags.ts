/**
 * Grouping by the `by` option of the stateful processors (alert, pattern): a list of tag names, or
 * `["*"]` for one group per series. Shared in core so that both processors group the same way and
 * neither imports the other.
 */
import { seriesKey, type Metric, type Tags } from '../../model/metric/metric.ts';

const isSeries = (by: readonly string[]): boolean => by.length === 1 && by[0] === '*';

/** The key of the group a metric belongs to; a missing tag differs from an empty one. */
export function groupKey(m: Metric, by: readonly string[]): string {
  if (isSeries(by)) return seriesKey(m);
  let k = '';
  for (const t of by) k += (m.tags[t] ?? '\u0000') + '\u0001';
  return k;
}

/** The tags that identify a metric's group (all of them with `["*"]`), as a fresh object. */
export function groupTags(m: Metric, by: readonly string[]): Tags {
  if (isSeries(by)) return { ...m.tags };
  const out: Tags = {};
  for (const t of by) if (m.tags[t] !== undefined) out[t] = m.tags[t];
  return out;
}
