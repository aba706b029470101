/**
 * The dedup processor: suppresses a metric whose fields (values and types) equal those that last
 * passed for its series, until dedup_interval has passed on the clock. A metric with a field the
 * last one lacked, or a changed value, passes; one carrying an unchanged subset is a repeat.
 * Memory is bounded: expired series are swept once per interval, and beyond max_series the
 * series first seen longest ago is forgotten.
 */
import { seriesKey, type FieldTypes, type Fields, type Metric } from '../../../core/model/metric/metric.ts';
import type { Clock, PluginContext, ProcessorInstance } from '../../../core/plugin/types.ts';
import type { DedupConfig } from './config.ts';

interface Seen {
  fields: Fields;
  types: FieldTypes | null;
  /** Clock time (ms) when this series last passed. */
  at: number;
}

function unchanged(m: Metric, seen: Seen): boolean {
  const types = m.fieldTypes;
  for (const k in m.fields) {
    if (!Object.hasOwn(seen.fields, k) || seen.fields[k] !== m.fields[k]) return false;
    if ((types?.[k] ?? null) !== (seen.types?.[k] ?? null)) return false;
  }
  return true;
}

/** One configured dedup processor instance. */
export class Dedup implements ProcessorInstance {
  private readonly interval: number;
  private readonly maxSeries: number;
  private readonly clock: Clock;
  /** Series in order of first sight; entries are updated in place (re-inserting costs more). */
  private readonly seen = new Map<string, Seen>();
  private nextSweep: number;
  private readonly evicted: (n?: number) => void;

  constructor(cfg: DedupConfig, ctx: PluginContext) {
    this.interval = cfg.dedup_interval;
    this.maxSeries = cfg.max_series;
    this.clock = ctx.clock;
    this.nextSweep = ctx.clock.now() + this.interval;
    this.evicted = ctx.metrics.counter(
      'series_evicted',
      'Series forgotten before their interval ended (max_series)',
    );
  }

  process(metrics: Metric[]): Metric[] {
    const now = this.clock.now();
    if (now >= this.nextSweep) this.sweep(now);
    let kept = 0;
    for (let i = 0; i < metrics.length; i++) {
      const m = metrics[i];
      const key = seriesKey(m);
      const prev = this.seen.get(key);
      if (prev === undefined) this.add(key, m, now);
      else if (now - prev.at < this.interval && unchanged(m, prev)) continue;
      else {
        prev.fields = { ...m.fields };
        prev.types = m.fieldTypes === null ? null : { ...m.fieldTypes };
        prev.at = now;
      }
      metrics[kept++] = m;
    }
    metrics.length = kept;
    return metrics;
  }

  private add(key: string, m: Metric, now: number): void {
    this.seen.set(key, {
      fields: { ...m.fields },
      types: m.fieldTypes === null ? null : { ...m.fieldTypes },
      at: now,
    });
    if (this.seen.size > this.maxSeries) {
      this.seen.delete(this.seen.keys().next().value as string);
      this.evicted();
    }
  }

  /** Forgets expired series; runs once per interval, so its cost is spread over many batches. */
  private sweep(now: number): void {
    for (const [key, s] of this.seen) if (now - s.at >= this.interval) this.seen.delete(key);
    this.nextSweep = now + this.interval;
  }

  /** Series currently remembered (for tests and introspection). */
  get size(): number {
    return this.seen.size;
  }
}
