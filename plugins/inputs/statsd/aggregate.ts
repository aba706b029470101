/**
 * Per-interval aggregation of statsd values by series (measurement + tags + metric_type):
 * counters sum (scaled by 1/sample rate), gauges keep the last value or add deltas, sets count
 * distinct members, timings keep running statistics and a bounded sample for percentiles.
 */
import { Metric } from '../../../core/model/metric/metric.ts';
import type { StatEvent, StatKind } from './parse.ts';
import type { NameMapper } from './template.ts';

/** Running statistics of one timing field (weighted Welford; a bounded random sample). */
export class TimingStats {
  count = 0;
  mean = 0;
  m2 = 0;
  sum = 0;
  upper = -Infinity;
  lower = Infinity;
  readonly samples: number[] = [];
  private seen = 0;

  add(v: number, weight: number, limit: number): void {
    this.count += weight;
    const delta = v - this.mean;
    this.mean += (weight / this.count) * delta;
    this.m2 += weight * delta * (v - this.mean);
    this.sum += v * weight;
    if (v > this.upper) this.upper = v;
    if (v < this.lower) this.lower = v;
    this.seen++;
    if (this.samples.length < limit) this.samples.push(v);
    else {
      // Reservoir sampling keeps a uniform sample of everything seen.
      const j = Math.floor(Math.random() * this.seen);
      if (j < limit) this.samples[j] = v;
    }
  }

  /** Population standard deviation. */
  stddev(): number {
    return this.count > 0 ? Math.sqrt(this.m2 / this.count) : 0;
  }
}

/** Nearest-rank percentile of sorted values (as Telegraf computes it). */
export function percentile(sorted: number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100));
  return sorted[i];
}

/** Median of sorted values (the mean of the middle two for an even count). */
export function median(sorted: number[]): number {
  const n = sorted.length;
  const h = n >> 1;
  return n % 2 === 1 ? sorted[h] : (sorted[h - 1] + sorted[h]) / 2;
}

interface Series<V> {
  name: string;
  tags: Record<string, string>;
  fields: Map<string, V>;
}

/** Options of the aggregator. */
export interface AggregatorOptions {
  percentiles: number[];
  percentileLimit: number;
  maxSeries: number;
  deleteCounters: boolean;
  deleteGauges: boolean;
  deleteSets: boolean;
  deleteTimings: boolean;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** a + b as an integer: a number while safe, else a bigint held within int64. */
function addCount(a: number | bigint, b: number | bigint): { value: number | bigint; clamped: boolean } {
  if (typeof a === 'number' && typeof b === 'number') {
    const n = a + b;
    if (Number.isSafeInteger(n)) return { value: n, clamped: false };
  }
  const big = BigInt(a) + BigInt(b);
  if (big > INT64_MAX) return { value: INT64_MAX, clamped: true };
  if (big < INT64_MIN) return { value: INT64_MIN, clamped: true };
  return { value: big, clamped: false };
}

export class StatsdAggregator {
  private readonly opts: AggregatorOptions;
  private readonly names: NameMapper;
  private readonly counters = new Map<string, Series<number | bigint>>();
  private readonly gauges = new Map<string, Series<number>>();
  private readonly sets = new Map<string, Series<Set<string>>>();
  private readonly timings = new Map<string, Series<TimingStats>>();

  constructor(opts: AggregatorOptions, names: NameMapper) {
    this.opts = opts;
    this.names = names;
  }

  /** Distinct series held. */
  get size(): number {
    return this.counters.size + this.gauges.size + this.sets.size + this.timings.size;
  }

  private mapOf(kind: StatKind): Map<string, Series<unknown>> {
    switch (kind) {
      case 'counter':
        return this.counters;
      case 'gauge':
        return this.gauges;
      case 'set':
        return this.sets;
      default:
        return this.timings;
    }
  }

  /**
   * Adds one value: 'max_series' when it would open a series beyond max_series, 'clamped' when a
   * counter's sum left int64 and was held at the bound.
   */
  add(ev: StatEvent): 'ok' | 'max_series' | 'clamped' {
    const np = this.names.map(ev.bucket);
    const tags: Record<string, string> = { ...np.tags, ...ev.tags, metric_type: ev.type };
    const keys = Object.keys(tags).sort();
    let key = np.measurement;
    for (const k of keys) key += ',' + k + '=' + tags[k];
    const map = this.mapOf(ev.kind);
    let s = map.get(key);
    if (s === undefined) {
      if (this.size >= this.opts.maxSeries) return 'max_series';
      s = { name: np.measurement, tags, fields: new Map() };
      map.set(key, s);
    }
    const f = np.field;
    switch (ev.kind) {
      case 'counter': {
        const c = s as Series<number | bigint>;
        const sum = addCount(c.fields.get(f) ?? 0, ev.count);
        c.fields.set(f, sum.value);
        if (sum.clamped) return 'clamped';
        break;
      }
      case 'gauge': {
        const g = s as Series<number>;
        g.fields.set(f, ev.additive ? (g.fields.get(f) ?? 0) + ev.value : ev.value);
        break;
      }
      case 'set': {
        const st = s as Series<Set<string>>;
        let members = st.fields.get(f);
        if (members === undefined) st.fields.set(f, (members = new Set()));
        members.add(ev.member);
        break;
      }
      default: {
        const t = s as Series<TimingStats>;
        let stats = t.fields.get(f);
        if (stats === undefined) t.fields.set(f, (stats = new TimingStats()));
        stats.add(ev.value, 1 / ev.rate, this.opts.percentileLimit);
      }
    }
    return 'ok';
  }

  /** The metrics of this interval, stamped `timeMs`; resets what the delete_* options say. */
  flush(timeMs: number): Metric[] {
    const out: Metric[] = [];
    for (const s of this.counters.values()) {
      const m = new Metric(s.name, { ...s.tags }, {}, timeMs);
      for (const [f, v] of s.fields) m.setInt(f, v);
      out.push(m);
    }
    for (const s of this.gauges.values())
      out.push(new Metric(s.name, { ...s.tags }, Object.fromEntries(s.fields), timeMs));
    for (const s of this.sets.values()) {
      const m = new Metric(s.name, { ...s.tags }, {}, timeMs);
      for (const [f, v] of s.fields) m.setInt(f, v.size);
      out.push(m);
    }
    for (const s of this.timings.values()) out.push(this.timingMetric(s, timeMs));
    if (this.opts.deleteCounters) this.counters.clear();
    if (this.opts.deleteGauges) this.gauges.clear();
    if (this.opts.deleteSets) this.sets.clear();
    if (this.opts.deleteTimings) this.timings.clear();
    return out;
  }

  private timingMetric(s: Series<TimingStats>, timeMs: number): Metric {
    const m = new Metric(s.name, { ...s.tags }, {}, timeMs);
    for (const [f, st] of s.fields) {
      const prefix = f === 'value' ? '' : f + '_';
      const sorted = st.samples.slice().sort((a, b) => a - b);
      m.fields[prefix + 'mean'] = st.mean;
      m.fields[prefix + 'stddev'] = st.stddev();
      m.fields[prefix + 'sum'] = st.sum;
      m.fields[prefix + 'upper'] = st.upper;
      m.fields[prefix + 'lower'] = st.lower;
      m.setInt(prefix + 'count', Math.round(st.count));
      if (sorted.length > 0) {
        m.fields[prefix + 'median'] = median(sorted);
        for (const p of this.opts.percentiles) m.fields[`${prefix}${p}_percentile`] = percentile(sorted, p);
      }
    }
    return m;
  }
}
