/**
 * The self-metric instruments and their values, kept in process (no OpenTelemetry SDK):
 * counters and histograms with the semantics of the SDK's (cumulative; negative values ignored;
 * explicit buckets where a value counts in the first bucket whose bound is >= it) and gauges read
 * when collected. exposition.ts writes them in the Prometheus text format.
 */
import type { Attributes, Counter, Histogram } from '@opentelemetry/api';

const NO_ATTRIBUTES: Attributes = Object.freeze({});

/** The same key for the same attribute set, whatever the order of its keys (as the SDK does). */
export function attributesKey(attributes: Attributes): string {
  const keys = Object.keys(attributes);
  if (keys.length === 0) return '';
  keys.sort();
  return JSON.stringify(keys.map((k) => [k, attributes[k]]));
}

/**
 * A value per attribute set. The object that created a set finds it again without building its
 * key (the running wrappers pass the same bound object on every batch); other objects by key.
 */
class Series<T> {
  private readonly byKey = new Map<string, { attributes: Attributes; value: T }>();
  private readonly byObject = new WeakMap<Attributes, { attributes: Attributes; value: T }>();

  point(attributes: Attributes, init: () => T): { attributes: Attributes; value: T } {
    let p = this.byObject.get(attributes);
    if (p !== undefined) return p;
    const key = attributesKey(attributes);
    p = this.byKey.get(key);
    if (p === undefined) {
      p = { attributes: { ...attributes }, value: init() };
      this.byKey.set(key, p);
      this.byObject.set(attributes, p);
    }
    return p;
  }

  points(): IterableIterator<{ attributes: Attributes; value: T }> {
    return this.byKey.values();
  }
}

/** A monotonic sum per attribute set. */
export class CounterInstrument implements Counter {
  readonly kind = 'counter';
  readonly series = new Series<{ sum: number }>();
  readonly name: string;
  readonly description: string;
  constructor(name: string, description: string) {
    this.name = name;
    this.description = description;
  }

  add(value: number, attributes: Attributes = NO_ATTRIBUTES): void {
    if (typeof value !== 'number' || value < 0) return;
    this.series.point(attributes, () => ({ sum: 0 })).value.sum += value;
  }
}

/** Counts in explicit buckets, with the count, sum, min and max, per attribute set. */
export interface HistogramValue {
  counts: number[];
  count: number;
  sum: number;
  min: number;
  max: number;
}

/** An explicit-bucket histogram per attribute set. */
export class HistogramInstrument implements Histogram {
  readonly kind = 'histogram';
  readonly series = new Series<HistogramValue>();
  readonly name: string;
  readonly description: string;
  readonly unit: string;
  readonly boundaries: readonly number[];
  constructor(name: string, description: string, unit: string, boundaries: readonly number[]) {
    this.name = name;
    this.description = description;
    this.unit = unit;
    this.boundaries = boundaries;
  }

  record(value: number, attributes: Attributes = NO_ATTRIBUTES): void {
    if (typeof value !== 'number' || value < 0) return;
    const n = this.boundaries.length;
    const h = this.series.point(attributes, () => ({
      counts: new Array<number>(n + 1).fill(0),
      count: 0,
      sum: 0,
      min: Infinity,
      max: -Infinity,
    })).value;
    // The first bound >= value (binary search), else the +Inf bucket.
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.boundaries[mid] < value) lo = mid + 1;
      else hi = mid;
    }
    h.counts[lo]++;
    h.count++;
    h.sum += value;
    if (value < h.min) h.min = value;
    if (value > h.max) h.max = value;
  }
}

/** What a gauge's callback is given to report its values with. */
export interface Observer {
  observe(value: number, attributes?: Attributes): void;
}

/** A gauge whose values its callbacks report when it is collected. */
export class GaugeInstrument {
  readonly kind = 'gauge';
  readonly name: string;
  readonly description: string;
  private readonly callbacks: ((o: Observer) => void)[] = [];
  constructor(name: string, description: string) {
    this.name = name;
    this.description = description;
  }

  addCallback(cb: (o: Observer) => void): void {
    this.callbacks.push(cb);
  }

  /** The values now, the last one per attribute set. */
  collect(): { attributes: Attributes; value: number }[] {
    const out = new Map<string, { attributes: Attributes; value: number }>();
    const observer: Observer = {
      observe: (value, attributes = NO_ATTRIBUTES) => {
        if (typeof value === 'number') out.set(attributesKey(attributes), { attributes, value });
      },
    };
    for (const cb of this.callbacks) cb(observer);
    return [...out.values()];
  }
}

export type Instrument = CounterInstrument | HistogramInstrument | GaugeInstrument;
