/**
 * Decoded remote write series to VIVA metrics, the way Telegraf's prometheusremotewrite parser
 * maps them: metric_version 2 puts every sample in measurement `prometheus_remote_write` with one
 * float field named after `__name__`; metric_version 1 names the measurement after `__name__` with
 * a field `value`. The other labels are tags; times go from milliseconds to the metric's exact
 * time. NaN samples (Prometheus staleness markers among them) carry no value and are dropped.
 */
import type { DecodedSeries } from '../../../core/format/prometheus/remotewrite-decode.ts';
import { Metric, type Tags } from '../../../core/model/metric/metric.ts';

/** The measurement of metric_version 2. */
export const MEASUREMENT = 'prometheus_remote_write';

/** A series refused whole, by its index in the request. */
export interface SeriesError {
  index: number;
  message: string;
}

/** The outcome of one request. */
export interface Converted {
  metrics: Metric[];
  errors: SeriesError[];
  /** NaN samples dropped (staleness markers and NaN values). */
  nan: number;
}

/** Tags of a series and its metric name, or the reason it cannot be mapped. */
function split(labels: readonly [string, string][]): { name: string; tags: Tags } | string {
  let name = '';
  const tags: Tags = {};
  for (const [k, v] of labels) {
    if (k === '') return 'a label with an empty name';
    if (k === '__name__') name = v;
    // A valid Prometheus label name; plain assignment would set the prototype instead.
    else if (k === '__proto__')
      Object.defineProperty(tags, k, { value: v, enumerable: true, writable: true, configurable: true });
    else tags[k] = v;
  }
  return name === '' ? 'no __name__ label' : { name, tags };
}

/** Converts the decoded series; a series without a metric name is refused and named. */
export function toMetrics(series: readonly DecodedSeries[], version: 1 | 2): Converted {
  const out: Converted = { metrics: [], errors: [], nan: 0 };
  for (let i = 0; i < series.length; i++) {
    const s = series[i];
    if (s.samples.length === 0) continue;
    const parts = split(s.labels);
    if (typeof parts === 'string') {
      out.errors.push({ index: i, message: parts });
      continue;
    }
    const measurement = version === 2 ? MEASUREMENT : parts.name;
    const field = version === 2 ? parts.name : 'value';
    for (const sample of s.samples) {
      if (Number.isNaN(sample.value)) {
        out.nan++;
        continue;
      }
      // Each metric gets its own tags: processors change tags in place.
      out.metrics.push(new Metric(measurement, { ...parts.tags }, { [field]: sample.value }, sample.timeMs));
    }
  }
  return out;
}
