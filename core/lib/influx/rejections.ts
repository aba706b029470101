/**
 * Which metrics of a batch InfluxDB refused. A partial write tells only part of the story: each
 * unparsable line is quoted (`unable to parse '<line>': why`), but the points dropped for other
 * reasons (field type conflict, beyond retention policy, series limits) come as a count
 * (`dropped=N`) with the reason of the first one. We name the metrics we can identify — quoted
 * lines, and for a type conflict every metric of that measurement whose field has the conflicting
 * type — and count the rest of N against the last metrics not identified, so that the written
 * and dropped counts are right even when the identities are a guess.
 *
 * Shared by the influxdb (v1) and influxdb_v2 outputs: both servers report partial writes this way.
 */
import type { RejectedMetric } from '../../model/errors/errors.ts';
import { serializeMetricTo } from '../../format/lineprotocol/serializer.ts';
import type { Metric } from '../../model/metric/metric.ts';
import type { Precision } from '../../model/metric/time.ts';

const UNPARSABLE = /unable to parse '((?:[^']|'(?!: ))*)': ([^\n]*)/g;
const TYPE_CONFLICT =
  /field type conflict: input field "((?:[^"\\]|\\.)*)" on measurement "((?:[^"\\]|\\.)*)" is type (\w+)/;
const DROPPED = /dropped=(\d+)/;

/** InfluxDB's name of a field's type. */
function influxType(m: Metric, key: string): string | undefined {
  switch (m.fieldType(key)) {
    case 'float':
      return 'float';
    case 'int':
      return 'integer';
    case 'uint':
      return 'unsigned';
    case 'string':
      return 'string';
    case 'boolean':
      return 'boolean';
    default:
      return undefined;
  }
}

/** True when the error text is an InfluxDB partial write (some points were stored). */
export function isPartialWrite(message: string): boolean {
  return message.includes('partial write') || message.includes('unable to parse');
}

/**
 * The metrics an InfluxDB error message says were refused, by index in `metrics` (the batch as
 * written, in order). Returns an empty list when the message names nothing.
 */
export function rejectedMetrics(
  message: string,
  metrics: readonly Metric[],
  precision: Precision,
): RejectedMetric[] {
  const rejected = new Map<number, string>();
  const unparsable = [...message.matchAll(UNPARSABLE)];
  if (unparsable.length > 0) {
    const lineIndex = new Map<string, number[]>();
    metrics.forEach((m, i) => {
      const line = serializeMetricTo(m, precision).trimEnd();
      (lineIndex.get(line) ?? lineIndex.set(line, []).get(line))?.push(i);
    });
    for (const [, line, why] of unparsable) {
      const i = lineIndex.get(line)?.shift();
      if (i !== undefined) rejected.set(i, `unparsable: ${why.replace(/ dropped=\d+.*$/, '')}`);
    }
  }
  const droppedMatch = DROPPED.exec(message);
  const dropped = droppedMatch === null ? 0 : Number(droppedMatch[1]);
  if (dropped > 0) {
    const reason = message.replace(/^.*?partial write: /s, '').replace(/ dropped=\d+.*$/s, '');
    const conflict = TYPE_CONFLICT.exec(message);
    let named = 0;
    if (conflict !== null) {
      const [, field, measurement, type] = conflict;
      metrics.forEach((m, i) => {
        if (named < dropped && !rejected.has(i) && m.name === measurement && influxType(m, field) === type) {
          rejected.set(i, reason);
          named++;
        }
      });
    }
    for (let i = metrics.length - 1; i >= 0 && named < dropped; i--) {
      if (rejected.has(i)) continue;
      rejected.set(i, `${reason} (InfluxDB gave a count only: this metric stands in for one it dropped)`);
      named++;
    }
  }
  return [...rejected].sort((a, b) => a[0] - b[0]).map(([index, reason]) => ({ index, reason }));
}
