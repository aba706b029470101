/**
 * The tag_limit processor, a cardinality guard. `limit` trims a metric to at most that many tags:
 * `keep` tags first, then the others in key order (deterministic, so a series keeps one identity).
 * `max_values_per_tag` remembers the first N distinct values of each capped tag key; a new value
 * beyond that is replaced, its tag dropped, or its metric dropped — all counted.
 */
import { compileGlobs, type GlobSet } from '../../../core/engine/filter/glob.ts';
import type { Metric } from '../../../core/model/metric/metric.ts';
import type { PluginContext, ProcessorInstance } from '../../../core/plugin/types.ts';
import type { TagLimitConfig } from './config.ts';

type Counter = (n?: number) => void;

function tagCount(tags: Record<string, string>): number {
  let n = 0;
  for (const _ in tags) n++;
  return n;
}

/** One configured tag_limit processor instance. */
export class TagLimit implements ProcessorInstance {
  private readonly cfg: TagLimitConfig;
  private readonly ctx: PluginContext;
  private readonly capped: GlobSet;
  private readonly seen = new Map<string, Set<string>>();
  private nextReset: number;
  private readonly tagsRemoved: Counter;
  private readonly valuesReplaced: Counter;
  private readonly metricsDropped: Counter;

  constructor(cfg: TagLimitConfig, ctx: PluginContext) {
    this.cfg = cfg;
    this.ctx = ctx;
    const all = cfg.value_limit_tags.includes('*');
    this.capped = all ? () => true : compileGlobs(cfg.value_limit_tags);
    this.nextReset = cfg.reset_interval > 0 ? ctx.clock.now() + cfg.reset_interval : Infinity;
    this.tagsRemoved = ctx.metrics.counter(
      'tags_removed',
      'Tags removed by the limit or an overflowing value',
    );
    this.valuesReplaced = ctx.metrics.counter('values_replaced', 'Tag values replaced by overflow_value');
    this.metricsDropped = ctx.metrics.counter(
      'metrics_dropped',
      'Metrics dropped for an overflowing tag value',
    );
  }

  process(metrics: Metric[]): Metric[] {
    const { limit, max_values_per_tag: maxValues } = this.cfg;
    if (maxValues > 0) this.maybeReset();
    const counts = { removed: 0, replaced: 0 };
    let kept = 0;
    for (let i = 0; i < metrics.length; i++) {
      const m = metrics[i];
      if (limit > 0) counts.removed += this.trim(m, limit);
      if (maxValues > 0 && !this.capValues(m, maxValues, counts)) continue;
      metrics[kept++] = m;
    }
    const dropped = metrics.length - kept;
    metrics.length = kept;
    if (counts.removed > 0) this.tagsRemoved(counts.removed);
    if (counts.replaced > 0) this.valuesReplaced(counts.replaced);
    if (dropped > 0) this.metricsDropped(dropped);
    return metrics;
  }

  private maybeReset(): void {
    const now = this.ctx.clock.now();
    if (now < this.nextReset) return;
    this.seen.clear();
    this.nextReset = now + this.cfg.reset_interval;
  }

  /** Trims to `limit` tags; returns how many were removed. */
  private trim(m: Metric, limit: number): number {
    const n = tagCount(m.tags);
    if (n <= limit) return 0;
    const tags: Record<string, string> = {};
    let left = limit;
    for (const k of this.cfg.keep) {
      const v = m.tags[k];
      if (typeof v === 'string' && left > 0) {
        tags[k] = v;
        left--;
      }
    }
    for (const k of Object.keys(m.tags).sort()) {
      if (left === 0) break;
      if (!Object.hasOwn(tags, k)) {
        tags[k] = m.tags[k];
        left--;
      }
    }
    m.tags = tags;
    return n - limit;
  }

  /** Applies the value cap; false when the metric is to be dropped. */
  private capValues(m: Metric, max: number, counts: { removed: number; replaced: number }): boolean {
    for (const k in m.tags) {
      if (!this.capped(k)) continue;
      const v = m.tags[k];
      let values = this.seen.get(k);
      if (values === undefined) this.seen.set(k, (values = new Set()));
      if (values.has(v)) continue;
      if (values.size < max) {
        values.add(v);
        continue;
      }
      switch (this.cfg.overflow) {
        case 'drop_metric':
          return false;
        case 'drop_tag':
          delete m.tags[k];
          counts.removed++;
          break;
        default:
          m.tags[k] = this.cfg.overflow_value;
          counts.replaced++;
      }
    }
    return true;
  }
}
