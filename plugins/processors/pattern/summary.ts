/**
 * Helpers of the pattern processor: a one-line summary of a matched event, and the view of an
 * event that lets `then` refer to the first event of a match.
 */
import { Metric } from '../../../core/model/metric/metric.ts';
import { formatTimeNs } from '../../../core/model/metric/time.ts';

/** `name,tag=v field=1,other="x" <ns time>`: enough to tell which event matched. */
export function summary(m: Metric): string {
  let s = m.name;
  for (const k of Object.keys(m.tags).sort()) s += `,${k}=${m.tags[k]}`;
  const fields = Object.entries(m.fields).map(
    ([k, v]) => `${k}=${typeof v === 'string' ? JSON.stringify(v) : String(v)}`,
  );
  return `${s} ${fields.join(',')} ${formatTimeNs(m.timeMs, m.timeNs)}`;
}

/** `m` with the first event's tags and fields added under `first.KEY`. */
export function withFirst(m: Metric, first: Metric): Metric {
  const tags = { ...m.tags };
  for (const k in first.tags) tags['first.' + k] = first.tags[k];
  const fields = { ...m.fields };
  for (const k in first.fields) fields['first.' + k] = first.fields[k];
  tags['first.name'] = first.name;
  return new Metric(m.name, tags, fields, m.timeMs, m.timeNs, m.fieldTypes);
}
