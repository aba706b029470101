/**
 * A batch of metrics as remote-write time series: one sample per numeric or boolean field, named
 * as the prometheus_client output names them, labels sorted with `__name__`, and the samples of
 * each series in time order (receivers refuse out-of-order samples). Strings are left out.
 */
import type { TimeSeries } from '../../../core/format/prometheus/remotewrite.ts';
import { labelPairs, sampleName, sampleValue } from '../../../core/format/prometheus/samples.ts';
import type { Metric } from '../../../core/model/metric/metric.ts';

interface Building {
  labels: [string, string][];
  samples: { value: number; timeMs: number }[];
}

/** The series of a batch, with the number of fields that could not be samples. */
export function toTimeSeries(metrics: readonly Metric[]): { series: TimeSeries[]; skipped: number } {
  const byKey = new Map<string, Building>();
  let skipped = 0;
  for (const m of metrics) {
    let tags: [string, string][] | undefined;
    let tagKey = '';
    for (const field in m.fields) {
      const value = sampleValue(m.fields[field]);
      if (value === undefined) {
        skipped++;
        continue;
      }
      if (tags === undefined) {
        tags = labelPairs(m).filter(([k]) => k !== '__name__');
        for (const [k, v] of tags) tagKey += '\u0000' + k + '\u0001' + v;
      }
      const name = sampleName(m.name, field);
      const key = name + tagKey;
      let s = byKey.get(key);
      if (s === undefined) {
        const labels: [string, string][] = [['__name__', name], ...tags];
        labels.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
        byKey.set(key, (s = { labels, samples: [] }));
      }
      s.samples.push({ value, timeMs: m.timeMs });
    }
  }
  const series: TimeSeries[] = [];
  for (const s of byKey.values()) {
    if (s.samples.length > 1) s.samples.sort((a, b) => a.timeMs - b.timeMs);
    series.push(s);
  }
  return { series, skipped };
}
