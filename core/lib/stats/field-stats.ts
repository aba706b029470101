/**
 * Running statistics of one field within one window and group: Welford mean and variance, exact
 * sum, min/max, first/last by event time and, when quantiles are asked for, a DDSketch. Two of
 * them merge exactly (Chan's parallel mean and variance, sketch merge), which is how rollup tiers
 * build an hour from its minutes. Shared by the aggregate and rollup processors.
 */
import { DDSketch } from '@datadog/sketches-js';
import type { IntType, Metric } from '../../model/metric/metric.ts';

/** The per-field statistics the aggregate and rollup processors can compute. */
export const STATS = [
  'count',
  'sum',
  'min',
  'max',
  'mean',
  'stddev',
  'first',
  'last',
  'rate',
  'counter_rate',
] as const;

/** One statistic name. */
export type StatName = (typeof STATS)[number];

/** Which outputs to write; computed once from the config. */
export interface StatPlan {
  stats: ReadonlySet<StatName>;
  quantiles: readonly { q: number; suffix: string }[];
  relativeAccuracy: number;
  /** Window length in seconds, for `rate`. */
  periodSeconds: number;
}

/** `0.99` -> `_p99`, `0.999` -> `_p99_9`, `0.5` -> `_p50`. */
export function quantileSuffix(q: number): string {
  return '_p' + String(Number((q * 100).toPrecision(12))).replace('.', '_');
}

/** FieldStats.save(): count, sum, mean, m2, min, max, first, firstT, last, lastT, intType, sketch. */
export type SavedFieldStats = [
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  IntType | null,
  string | null,
];

/** Statistics of one field. */
export class FieldStats {
  count = 0;
  sum = 0;
  mean = 0;
  m2 = 0;
  min = Infinity;
  max = -Infinity;
  first = 0;
  firstT = Infinity;
  last = 0;
  lastT = -Infinity;
  /** 'int' or 'uint' while every value seen had that type; null once a float was seen. */
  intType: IntType | null = null;
  sketch: DDSketch | null;
  private readonly relativeAccuracy: number | null;

  constructor(relativeAccuracy: number | null) {
    this.relativeAccuracy = relativeAccuracy;
    this.sketch = relativeAccuracy === null ? null : new DDSketch({ relativeAccuracy });
  }

  /** Empties the statistics for reuse in the next window (no allocation unless there is a sketch). */
  reset(): void {
    this.count = 0;
    this.sum = 0;
    this.mean = 0;
    this.m2 = 0;
    this.min = Infinity;
    this.max = -Infinity;
    this.firstT = Infinity;
    this.lastT = -Infinity;
    this.intType = null;
    if (this.relativeAccuracy !== null)
      this.sketch = new DDSketch({ relativeAccuracy: this.relativeAccuracy });
  }

  /** Adds a value observed at time `t` (milliseconds, may carry a fraction). */
  add(v: number, t: number, intType: IntType | null): void {
    const n = ++this.count;
    if (n === 1) this.intType = intType;
    else if (this.intType !== intType) this.intType = null;
    this.sum += v;
    const d = v - this.mean;
    this.mean += d / n;
    this.m2 += d * (v - this.mean);
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
    // Ties keep the earliest arrival as first and the latest arrival as last.
    if (t < this.firstT) {
      this.first = v;
      this.firstT = t;
    }
    if (t >= this.lastT) {
      this.last = v;
      this.lastT = t;
    }
    this.sketch?.accept(v);
  }

  /** Adds everything `o` saw (same relative accuracy), as if its values had been added here. */
  merge(o: FieldStats): void {
    if (o.count === 0) return;
    const n = this.count + o.count;
    if (this.count === 0) this.intType = o.intType;
    else if (this.intType !== o.intType) this.intType = null;
    const d = o.mean - this.mean;
    this.mean += (d * o.count) / n;
    this.m2 += o.m2 + (d * d * this.count * o.count) / n;
    this.count = n;
    this.sum += o.sum;
    if (o.min < this.min) this.min = o.min;
    if (o.max > this.max) this.max = o.max;
    if (o.firstT < this.firstT) {
      this.first = o.first;
      this.firstT = o.firstT;
    }
    if (o.lastT >= this.lastT) {
      this.last = o.last;
      this.lastT = o.lastT;
    }
    if (this.sketch !== null && o.sketch !== null) mergeSketch(this.sketch, o.sketch);
  }

  /** The statistics as JSON-safe values (the sketch as its protobuf, base64), for a state file. */
  save(): SavedFieldStats {
    return [
      this.count,
      this.sum,
      this.mean,
      this.m2,
      this.min,
      this.max,
      this.first,
      this.firstT,
      this.last,
      this.lastT,
      this.intType,
      this.sketch === null ? null : Buffer.from(this.sketch.toProto()).toString('base64'),
    ];
  }

  /** Statistics saved by save() (of a FieldStats that had at least one value). */
  static load(saved: SavedFieldStats, relativeAccuracy: number | null): FieldStats {
    const fs = new FieldStats(relativeAccuracy);
    [fs.count, fs.sum, fs.mean, fs.m2, fs.min, fs.max, fs.first, fs.firstT, fs.last, fs.lastT, fs.intType] =
      saved;
    const proto = saved[11];
    if (fs.sketch !== null && proto !== null) {
      // fromProto rebuilds the stores; they go into a sketch of this accuracy (same mapping), so that
      // it merges with the others.
      const r = DDSketch.fromProto(Buffer.from(proto, 'base64'));
      fs.sketch.store = r.store;
      fs.sketch.negativeStore = r.negativeStore;
      fs.sketch.zeroCount = r.zeroCount;
      fs.sketch.count = r.count;
    }
    return fs;
  }

  /** A copy that can be merged into without changing this one. */
  copy(): FieldStats {
    const c = new FieldStats(this.relativeAccuracy);
    c.merge(this);
    return c;
  }

  /** Writes `<field>_<stat>` fields onto the aggregate metric. */
  write(out: Metric, field: string, plan: StatPlan): void {
    if (this.count === 0) return;
    const s = plan.stats;
    const it = this.intType;
    if (s.has('count')) out.setInt(field + '_count', this.count);
    if (s.has('sum')) setNum(out, field + '_sum', this.sum, it);
    if (s.has('min')) setNum(out, field + '_min', this.min, it);
    if (s.has('max')) setNum(out, field + '_max', this.max, it);
    if (s.has('mean')) out.setField(field + '_mean', this.mean);
    // Sample standard deviation, as Telegraf's basicstats: undefined for a single value.
    if (s.has('stddev') && this.count > 1)
      out.setField(field + '_stddev', Math.sqrt(this.m2 / (this.count - 1)));
    if (s.has('first')) setNum(out, field + '_first', this.first, it);
    if (s.has('last')) setNum(out, field + '_last', this.last, it);
    if (s.has('rate')) out.setField(field + '_rate', this.sum / plan.periodSeconds);
    if (s.has('counter_rate') && this.lastT > this.firstT)
      out.setField(field + '_counter_rate', (this.last - this.first) / ((this.lastT - this.firstT) / 1000));
    const sk = this.sketch;
    if (sk !== null)
      for (const { q, suffix } of plan.quantiles) out.setField(field + suffix, sk.getValueAtQuantile(q));
  }
}

/** Adds `from` into `into`: DDSketch.merge of sketches-js 2.1 leaves out the negative values' store (unless `into` was empty). */
function mergeSketch(into: DDSketch, from: DDSketch): void {
  const copied = into.count === 0;
  into.merge(from);
  if (!copied) into.negativeStore.merge(from.negativeStore);
}

/** An integer result stays an integer when every input was one and it is exactly representable. */
function setNum(out: Metric, key: string, v: number, it: IntType | null): void {
  if (it !== null && Number.isSafeInteger(v)) out.setInt(key, v, it);
  else out.setField(key, v);
}
