/**
 * How a VIVA metric becomes Prometheus samples (as Telegraf's metric_version 2): each numeric or
 * boolean field is one sample named `<measurement>_<field>` — or just `<field>` when the
 * measurement is `prometheus`, the name Prometheus-scraping inputs use — with the tags as labels.
 * Strings cannot be samples and are left out; booleans are 1 or 0; integers beyond 2^53 lose
 * precision as Prometheus values are doubles.
 */
import type { Metric } from '../../model/metric/metric.ts';
import { labelName, metricName } from './names.ts';

/** The measurement whose fields are already full Prometheus names. */
export const PROMETHEUS_MEASUREMENT = 'prometheus';

/** The numeric value of a field, or undefined when it cannot be a sample. */
export function sampleValue(v: unknown): number | undefined {
  switch (typeof v) {
    case 'number':
      return v;
    case 'bigint':
      return Number(v);
    case 'boolean':
      return v ? 1 : 0;
    default:
      return undefined;
  }
}

/** The sample name of a field of a metric. */
export function sampleName(measurement: string, field: string): string {
  return metricName(measurement === PROMETHEUS_MEASUREMENT ? field : `${measurement}_${field}`);
}

/** The tags of a metric as sanitized label pairs, sorted by label name. */
export function labelPairs(m: Metric): [string, string][] {
  const pairs: [string, string][] = [];
  for (const k in m.tags) {
    const v = m.tags[k];
    if (v !== '') pairs.push([labelName(k), v]);
  }
  if (pairs.length > 1) pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return pairs;
}
