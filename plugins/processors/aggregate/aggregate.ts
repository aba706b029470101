/**
 * The aggregate processor: tumbling or hopping event-time windows aligned to the period, one
 * group per tag set (or per chosen tags), per-field statistics and DDSketch quantiles.
 *
 * A window [start, end) closes once end + grace has passed by the processor's time, which the core
 * gives (the `clock` common key: wall, or event time for replay and backfill). Windows close in
 * `process()` as metrics move time (so replay runs as fast as it reads) and in `tick()`, which the
 * core calls on its timer when no metric comes. A metric whose earliest window has already closed is
 * late: counted, then dropped or passed on. Groups beyond `max_series` per window are counted as
 * overflow.
 */
import { compileGlobs, type GlobSet } from '../../../core/engine/filter/glob.ts';
import { Metric, type IntType, type Tags } from '../../../core/model/metric/metric.ts';
import type { PluginContext, ProcessorInstance } from '../../../core/plugin/types.ts';
import type { AggregateConfig } from './config.ts';
import { FieldStats, quantileSuffix, type StatPlan } from '../../../core/lib/stats/field-stats.ts';
import { FieldMap, SeriesIndex } from '../../../core/model/metric/series-index.ts';

/** Longest interval between ticks: a window closes at most this long after end + grace. */
const MAX_TICK_MS = 1000;

/** One group (tag set), alive while it has open windows or had data in the last period. */
interface Group {
  name: string;
  /** Lookup tags (the metric's, as first seen) and output tags (the grouped ones). */
  key: Tags;
  tags: Tags;
  /** Its accumulators in open windows (one for tumbling windows, period/every for hopping). */
  open: Acc[];
  /** A closed accumulator kept for the group's next window, so steady streams allocate nothing. */
  spare: Acc | null;
  /** End of the newest window it had data in. */
  lastEnd: number;
}

/** Statistics of one group in one window. */
interface Acc {
  start: number;
  group: Group;
  fields: FieldMap<FieldStats>;
}

interface Window {
  start: number;
  end: number;
  accs: Acc[];
}

export class Aggregator implements ProcessorInstance {
  /** A tenth of the period, between 10 ms and 1 s. */
  readonly tickInterval: number;
  private readonly cfg: AggregateConfig;
  private readonly ctx: PluginContext;
  private readonly period: number;
  private readonly hop: number;
  private readonly plan: StatPlan;
  private readonly groupBy: readonly string[] | null;
  private readonly fieldMatch: GlobSet;
  private readonly fieldSelected = new Map<string, boolean>();
  private readonly groups = new SeriesIndex<Group>();
  /** Open windows by start time. */
  private readonly windows = new Map<number, Window>();
  /** Every window ending at or before this time has been closed. */
  private closedThrough = -Infinity;
  private watermark = -Infinity;
  private readonly countLate: (n?: number) => void;
  private readonly countOverflow: (n?: number) => void;
  private readonly countWindows: (n?: number) => void;
  // One metric's selected numeric fields: gathered once, then added to each of its windows.
  private readonly hitKeys: string[] = [];
  private readonly hitValues: number[] = [];
  private readonly hitTypes: (IntType | null)[] = [];

  constructor(cfg: AggregateConfig, ctx: PluginContext) {
    this.cfg = cfg;
    this.ctx = ctx;
    this.period = Math.max(1, Math.round(cfg.period));
    this.hop = cfg.every === 0 ? this.period : Math.max(1, Math.round(cfg.every));
    this.tickInterval = Math.min(MAX_TICK_MS, Math.max(10, this.period / 10));
    this.plan = {
      stats: new Set(cfg.stats),
      quantiles: cfg.quantiles.map((q) => ({ q, suffix: quantileSuffix(q) })),
      relativeAccuracy: cfg.relative_accuracy,
      periodSeconds: this.period / 1000,
    };
    this.groupBy = cfg.group_by.includes('*') ? null : [...cfg.group_by];
    this.fieldMatch = compileGlobs(cfg.fields);
    this.countLate = ctx.metrics.counter('late_metrics', 'Metrics that arrived after their window closed');
    this.countOverflow = ctx.metrics.counter(
      'overflow_metrics',
      'Metrics not aggregated because max_series was reached',
    );
    this.countWindows = ctx.metrics.counter(
      'windows_closed',
      'Aggregates emitted (one per window and group)',
    );
  }

  /** Closes the windows due by `nowMs` (the processor's time, from the core's timer). */
  tick(nowMs: number): Metric[] {
    const out: Metric[] = [];
    this.close(nowMs - this.cfg.grace, out);
    return out;
  }

  /** `nowMs`: the processor's time from the core; a direct caller gets the later of the clock and the watermark. */
  process(metrics: Metric[], nowMs?: number): Metric[] {
    const out: Metric[] = [];
    const passLate = this.cfg.late === 'pass';
    const keepOriginal = !this.cfg.drop_original;
    let late = 0;
    let overflow = 0;
    let newest = this.watermark;
    for (let i = 0; i < metrics.length; i++) {
      const m = metrics[i];
      const t = m.timeMs;
      if (t > newest) newest = t;
      // The earliest window holding t starts at the first multiple of hop above t - period.
      const firstStart = (Math.floor((t - this.period) / this.hop) + 1) * this.hop;
      if (firstStart + this.period <= this.closedThrough) {
        late++;
        if (passLate) out.push(m);
        continue;
      }
      const n = this.collect(m);
      if (n === 0) {
        out.push(m);
        continue;
      }
      const g = this.group(m);
      if (g === undefined) overflow++;
      else this.add(g, m, firstStart, n);
      if (keepOriginal) out.push(m);
    }
    if (late > 0) this.countLate(late);
    if (overflow > 0) this.countOverflow(overflow);
    this.watermark = newest;
    this.close((nowMs ?? Math.max(this.ctx.clock.now(), newest)) - this.cfg.grace, out);
    return out;
  }

  stop(): Metric[] {
    const out: Metric[] = [];
    this.close(Infinity, out);
    return out;
  }

  /** The metric's group, created if there is room; undefined on overflow. */
  private group(m: Metric): Group | undefined {
    const by = this.groupBy;
    let g = this.groups.get(m.name, m.tags, by);
    if (g === undefined) {
      if (this.groups.size >= this.cfg.max_series) return undefined;
      const key = { ...m.tags };
      g = {
        name: m.name,
        key,
        tags: by === null ? key : pick(key, by),
        open: [],
        spare: null,
        lastEnd: -Infinity,
      };
      this.groups.set(m.name, key, by, g);
    }
    return g;
  }

  /** Adds the gathered fields of `m` to every window holding it, from the one starting at `firstStart`. */
  private add(g: Group, m: Metric, firstStart: number, n: number): void {
    const t = m.timeMs + m.timeNs / 1e6;
    for (let start = firstStart; start <= m.timeMs; start += this.hop) {
      let acc: Acc | undefined;
      for (const a of g.open) if (a.start === start) acc = a;
      if (acc === undefined) {
        let w = this.windows.get(start);
        if (w === undefined) {
          w = { start, end: start + this.period, accs: [] };
          this.windows.set(start, w);
        }
        acc = g.spare ?? { start, group: g, fields: new FieldMap() };
        acc.start = start;
        g.spare = null;
        g.open.push(acc);
        w.accs.push(acc);
        if (w.end > g.lastEnd) g.lastEnd = w.end;
      }
      const sketch = this.plan.quantiles.length > 0 ? this.plan.relativeAccuracy : null;
      for (let j = 0; j < n; j++) {
        const k = this.hitKeys[j];
        let fs = acc.fields.get(k);
        if (fs === undefined) {
          fs = new FieldStats(sketch);
          acc.fields.set(k, fs);
        }
        fs.add(this.hitValues[j], t, this.hitTypes[j]);
      }
    }
  }

  /** Gathers the selected finite numeric fields of `m`; returns how many. */
  private collect(m: Metric): number {
    const types = m.fieldTypes;
    let n = 0;
    for (const k in m.fields) {
      const raw = m.fields[k];
      let v: number;
      if (typeof raw === 'number') v = raw;
      else if (typeof raw === 'bigint') v = Number(raw);
      else continue;
      if (!Number.isFinite(v) || !this.selected(k)) continue;
      this.hitKeys[n] = k;
      this.hitValues[n] = v;
      this.hitTypes[n++] = types === null ? (typeof raw === 'bigint' ? 'int' : null) : (types[k] ?? null);
    }
    return n;
  }

  private selected(field: string): boolean {
    let s = this.fieldSelected.get(field);
    if (s === undefined) {
      s = this.fieldMatch(field);
      // Bounded: field names are few; a stream of unique names stops being cached.
      if (this.fieldSelected.size < 10_000) this.fieldSelected.set(field, s);
    }
    return s;
  }

  /** Closes every window ending at or before `through`, oldest first, appending aggregates. */
  private close(through: number, out: Metric[]): void {
    if (through <= this.closedThrough) return;
    this.closedThrough = through;
    let due: Window[] | undefined;
    for (const w of this.windows.values()) if (w.end <= through) (due ??= []).push(w);
    if (due === undefined) return;
    due.sort((a, b) => a.start - b.start);
    let n = 0;
    for (const w of due) {
      this.windows.delete(w.start);
      const at = this.cfg.timestamp === 'end' ? w.end : w.start;
      for (const acc of w.accs) {
        const g = acc.group;
        const agg = new Metric(g.name + this.cfg.name_suffix, { ...g.tags }, {}, at);
        for (const [field, fs] of acc.fields.entries()) fs.write(agg, field, this.plan);
        out.push(agg);
        const i = g.open.indexOf(acc);
        if (i >= 0) g.open.splice(i, 1);
        for (const [, fs] of acc.fields.entries()) fs.reset();
        g.spare = acc;
        n++;
      }
    }
    if (n > 0) this.countWindows(n);
    this.forget(through);
  }

  /** Drops groups with no open window and no data for a whole period, so max_series counts live groups. */
  private forget(through: number): void {
    if (through === Infinity) {
      this.groups.clear();
      return;
    }
    let stale: Group[] | undefined;
    for (const g of this.groups.values())
      if (g.open.length === 0 && g.lastEnd + this.period <= through) (stale ??= []).push(g);
    if (stale !== undefined) for (const g of stale) this.groups.delete(g.name, g.key, this.groupBy);
  }
}

/** The tags of `tags` listed in `keys`. */
function pick(tags: Tags, keys: readonly string[]): Tags {
  const out: Tags = {};
  for (const k of keys) if (tags[k] !== undefined) out[k] = tags[k];
  return out;
}
