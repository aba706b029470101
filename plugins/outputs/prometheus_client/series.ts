/**
 * The latest sample of every series written to the prometheus_client output, with the time it
 * was last written (so stale series expire), grouped into families when scraped. A family whose
 * samples are named `<base>_bucket` with an `le` label is a histogram: `<base>_sum` and
 * `<base>_count` join it, and buckets are ordered by `le`.
 */
import type { GlobSet } from '../../../core/engine/filter/glob.ts';
import type { Family, FamilyType, Sample } from '../../../core/format/prometheus/exposition.ts';
import { labelPairs, sampleName, sampleValue } from '../../../core/format/prometheus/samples.ts';
import type { Metric } from '../../../core/model/metric/metric.ts';

/** One series' latest sample. */
interface Entry extends Sample {
  source: string;
  /** Monotonic ms of the last write. */
  seen: number;
}

const le = (s: Sample): number => {
  const v = s.labels.find(([k]) => k === 'le')?.[1];
  return v === '+Inf' ? Infinity : Number(v);
};

/** The labels of a sample without `le`, as a grouping key. */
const groupKey = (s: Sample): string =>
  s.labels
    .filter(([k]) => k !== 'le')
    .map(([k, v]) => `${k}\u0000${v}`)
    .join('\u0001');

export class SeriesRegistry {
  private readonly entries = new Map<string, Entry>();
  private readonly counters: GlobSet;

  constructor(counters: GlobSet) {
    this.counters = counters;
  }

  /** Records the numeric fields of each metric as the latest sample of their series. */
  update(metrics: readonly Metric[], now: number): void {
    for (const m of metrics) {
      let labels: [string, string][] | undefined;
      let labelKey = '';
      for (const field in m.fields) {
        const value = sampleValue(m.fields[field]);
        if (value === undefined) continue;
        if (labels === undefined) {
          labels = labelPairs(m);
          for (const [k, v] of labels) labelKey += '\u0000' + k + '\u0001' + v;
        }
        const name = sampleName(m.name, field);
        const key = name + labelKey;
        const entry = this.entries.get(key);
        if (entry === undefined)
          this.entries.set(key, {
            name,
            labels,
            value,
            timeMs: m.timeMs,
            source: `${m.name}.${field}`,
            seen: now,
          });
        else {
          entry.value = value;
          entry.timeMs = m.timeMs;
          entry.seen = now;
        }
      }
    }
  }

  /** Forgets series last written before `cutoff` (monotonic ms). */
  expire(cutoff: number): void {
    for (const [key, e] of this.entries) if (e.seen < cutoff) this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }

  /** The current samples as families, sorted by name. */
  families(): Family[] {
    const byName = new Map<string, Entry[]>();
    for (const e of this.entries.values()) {
      const list = byName.get(e.name);
      if (list === undefined) byName.set(e.name, [e]);
      else list.push(e);
    }
    const histograms = new Set<string>();
    for (const [name, list] of byName) {
      if (name.endsWith('_bucket') && list.every((e) => e.labels.some(([k]) => k === 'le')))
        histograms.add(name.slice(0, -7));
    }
    const families = new Map<string, Family>();
    for (const [name, list] of byName) {
      const base = histogramBase(name, histograms);
      const familyName = base ?? name;
      const type: FamilyType = base !== undefined ? 'histogram' : this.counters(name) ? 'counter' : 'gauge';
      let f = families.get(familyName);
      if (f === undefined)
        families.set(
          familyName,
          (f = { name: familyName, type, help: `Written by VIVA from ${list[0].source}.`, samples: [] }),
        );
      f.samples.push(...list);
    }
    for (const f of families.values()) if (f.type === 'histogram') orderHistogram(f);
    return [...families.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}

/** The histogram a sample name belongs to (`x_bucket`, `x_sum`, `x_count` of histogram `x`), if any. */
function histogramBase(name: string, histograms: Set<string>): string | undefined {
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (name.endsWith(suffix) && histograms.has(name.slice(0, -suffix.length)))
      return name.slice(0, -suffix.length);
  }
  return undefined;
}

/** Per label set: buckets by `le`, then sum, then count. */
function orderHistogram(f: Family): void {
  const rank = (s: Sample): number => (s.name.endsWith('_bucket') ? 0 : s.name.endsWith('_sum') ? 1 : 2);
  f.samples.sort((a, b) => {
    const ga = groupKey(a);
    const gb = groupKey(b);
    if (ga !== gb) return ga < gb ? -1 : 1;
    return rank(a) - rank(b) || (rank(a) === 0 ? le(a) - le(b) : 0);
  });
}
