/**
 * Samples to metrics the way Telegraf's prometheus input does with metric_version = 2: one
 * measurement ("prometheus"), the sample name as the field, the labels as tags. Histogram
 * buckets are `<name>_bucket` fields with an `le` tag, summary quantiles are `<name>` fields with
 * a `quantile` tag, and a family's `_sum` and `_count` with the same labels share one metric.
 */
import { Metric } from '../../../core/model/metric/metric.ts';
import type { Sample } from './exposition.ts';

/** Options of the conversion. */
export interface ConvertOptions {
  measurement: string;
  /** Tags added to every metric (e.g. the scraped url); they override labels of the same name. */
  tags: Record<string, string>;
  /** Time of samples without a timestamp (ms since the epoch). */
  nowMs: number;
}

function labelKey(labels: Record<string, string>): string {
  const keys = Object.keys(labels).sort();
  let k = '';
  for (const key of keys) k += key + '\u0000' + labels[key] + '\u0001';
  return k;
}

/** Converts parsed samples into metrics. */
export function samplesToMetrics(samples: readonly Sample[], opts: ConvertOptions): Metric[] {
  const out: Metric[] = [];
  const grouped = new Map<string, Metric>();
  for (const s of samples) {
    const timeMs = s.timestampMs ?? opts.nowMs;
    const isAggregate =
      (s.type === 'histogram' || s.type === 'summary') &&
      (s.name === s.family + '_sum' || s.name === s.family + '_count');
    if (isAggregate) {
      const key = s.family + '\u0002' + String(timeMs) + '\u0002' + labelKey(s.labels);
      const m = grouped.get(key);
      if (m !== undefined) {
        m.fields[s.name] = s.value;
        continue;
      }
      const g = new Metric(opts.measurement, { ...s.labels, ...opts.tags }, { [s.name]: s.value }, timeMs);
      grouped.set(key, g);
      out.push(g);
      continue;
    }
    out.push(new Metric(opts.measurement, { ...s.labels, ...opts.tags }, { [s.name]: s.value }, timeMs));
  }
  return out;
}
