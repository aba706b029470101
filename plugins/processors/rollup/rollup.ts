/**
 * The rollup processor: streaming tiers in event time. `tiers = ["1m", "1h"]` keeps 1-minute
 * windows per group and builds each hour by MERGING its minutes (FieldStats.merge: counts, sums,
 * min and max exactly, DDSketches merged, never averages of averages); the last tier is emitted.
 *
 * Time is the newest metric time seen (the watermark), never the wall clock. A window of the
 * emitted tier is emitted once the watermark passes its end; a window stays open for late metrics
 * until the watermark passes end + grace, and a late metric inside that grace updates its window,
 * which is then emitted again (same timestamp and tags: InfluxDB keeps the newer point). A metric
 * whose finest window is past its grace is counted as late and dropped. A finer window past its
 * grace is merged into its parent and forgotten, so memory holds one window per group and tier plus
 * those still in grace. At stop every changed window is emitted and the open ones are saved
 * (persist.ts) for the next instance.
 */
import { compileGlobs, type GlobSet } from '../../../core/engine/filter/glob.ts';
import { FieldStats, quantileSuffix, type StatPlan } from '../../../core/lib/stats/field-stats.ts';
import { Metric, type IntType, type Tags } from '../../../core/model/metric/metric.ts';
import { FieldMap, SeriesIndex } from '../../../core/model/metric/series-index.ts';
import type { PluginContext, ProcessorInstance } from '../../../core/plugin/types.ts';
import type { RollupConfig } from './config.ts';
import { loadState, saveState, type Acc, type Group, type Tier, type Window } from './persist.ts';

export class Rollup implements ProcessorInstance {
  private readonly cfg: RollupConfig;
  private readonly tiers: Tier[];
  private readonly plan: StatPlan;
  private readonly sketchAccuracy: number | null;
  private readonly groupBy: readonly string[] | null;
  private readonly fieldMatch: GlobSet;
  private readonly groups = new SeriesIndex<Group>();
  private watermark = -Infinity;
  private readonly ctx: PluginContext;
  private readonly countLate: (n?: number) => void;
  private readonly countOverflow: (n?: number) => void;
  private readonly countEmitted: (n?: number) => void;
  private readonly countReemitted: (n?: number) => void;

  constructor(cfg: RollupConfig, ctx: PluginContext) {
    this.cfg = cfg;
    this.ctx = ctx;
    this.tiers = cfg.tiers.map((length) => ({ length, windows: new Map(), finalizedThrough: -Infinity }));
    const last = cfg.tiers[cfg.tiers.length - 1];
    this.plan = {
      stats: new Set(cfg.stats),
      quantiles: cfg.quantiles.map((q) => ({ q, suffix: quantileSuffix(q) })),
      relativeAccuracy: cfg.relative_accuracy,
      periodSeconds: last / 1000,
    };
    this.sketchAccuracy = cfg.quantiles.length > 0 ? cfg.relative_accuracy : null;
    this.groupBy = cfg.group_by.includes('*') ? null : [...cfg.group_by];
    this.fieldMatch = compileGlobs(cfg.fields);
    this.countLate = ctx.metrics.counter(
      'late_metrics',
      'Metrics that arrived after their window and its grace',
    );
    this.countOverflow = ctx.metrics.counter(
      'overflow_metrics',
      'Metrics not rolled up because max_series groups had open windows',
    );
    this.countEmitted = ctx.metrics.counter(
      'windows_emitted',
      'Rolled-up windows emitted (one per window and group)',
    );
    this.countReemitted = ctx.metrics.counter(
      'windows_reemitted',
      'Windows emitted again because late metrics inside the grace updated them',
    );
    const st = { watermark: this.watermark, tiers: this.tiers, groups: this.groups };
    loadState(cfg, ctx, st);
    this.watermark = st.watermark;
  }

  /** Rolls up the batch's numeric fields; passes on what it emits (and the metrics it does not roll up). */
  process(metrics: Metric[]): Metric[] {
    const out: Metric[] = [];
    let late = 0;
    let overflow = 0;
    const finest = this.tiers[0];
    for (const m of metrics) {
      const t = m.timeMs;
      const start = Math.floor(t / finest.length) * finest.length;
      if (!this.hasField(m)) {
        out.push(m);
        continue;
      }
      if (start + finest.length <= finest.finalizedThrough) {
        late++;
        continue;
      }
      const g = this.group(m);
      if (g === undefined) {
        overflow++;
        continue;
      }
      this.add(g, m, start);
      if (t > this.watermark) this.watermark = t;
    }
    if (late > 0) this.countLate(late);
    if (overflow > 0) this.countOverflow(overflow);
    this.advance(this.watermark, out);
    return out;
  }

  /**
   * Emits every window that changed since it was last emitted, ended or not, and saves the open
   * windows for the next instance (a reload or a restart), which goes on filling them.
   */
  stop(): Metric[] {
    const out: Metric[] = [];
    for (const w of this.tiers[this.tiers.length - 1].windows.values())
      for (const a of w.accs.values()) if (a.dirty) this.emit(w, a, out);
    try {
      saveState(this.cfg, this.ctx, { watermark: this.watermark, tiers: this.tiers, groups: this.groups });
    } catch (e) {
      this.ctx.log.warn(
        { err: (e as Error).message },
        'rollup state could not be saved; the next start begins empty',
      );
    }
    for (const t of this.tiers) t.windows.clear();
    this.groups.clear();
    return out;
  }

  private hasField(m: Metric): boolean {
    for (const k in m.fields) {
      const v = m.fields[k];
      if ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'bigint')
        if (this.fieldMatch(k)) return true;
    }
    return false;
  }

  private group(m: Metric): Group | undefined {
    const by = this.groupBy;
    let g = this.groups.get(m.name, m.tags, by);
    if (g === undefined) {
      if (this.groups.size >= this.cfg.max_series) return undefined;
      const key = { ...m.tags };
      g = { name: m.name, key, tags: by === null ? key : pick(key, by), open: 0 };
      this.groups.set(m.name, key, by, g);
    }
    return g;
  }

  /** The group's accumulator in a tier's window starting at `start`, created when missing. */
  private acc(tier: Tier, g: Group, start: number): Acc {
    let w = tier.windows.get(start);
    if (w === undefined) {
      w = { start, end: start + tier.length, accs: new Map() };
      tier.windows.set(start, w);
    }
    let a = w.accs.get(g);
    if (a === undefined) {
      a = { group: g, fields: new FieldMap(), dirty: false, emitted: false };
      w.accs.set(g, a);
      g.open++;
    }
    return a;
  }

  private add(g: Group, m: Metric, start: number): void {
    const a = this.acc(this.tiers[0], g, start);
    const t = m.timeMs + m.timeNs / 1e6;
    const types = m.fieldTypes;
    for (const k in m.fields) {
      const raw = m.fields[k];
      let v: number;
      if (typeof raw === 'number') v = raw;
      else if (typeof raw === 'bigint') v = Number(raw);
      else continue;
      if (!Number.isFinite(v) || !this.fieldMatch(k)) continue;
      let fs = a.fields.get(k);
      if (fs === undefined) {
        fs = new FieldStats(this.sketchAccuracy);
        a.fields.set(k, fs);
      }
      const it: IntType | null =
        types === null ? (typeof raw === 'bigint' ? 'int' : null) : (types[k] ?? null);
      fs.add(v, t, it);
    }
    // The emitted tier's window holding the metric changed (it exists from now on, empty until its
    // children are merged into it).
    const top = this.tiers[this.tiers.length - 1];
    this.acc(top, g, Math.floor(m.timeMs / top.length) * top.length).dirty = true;
  }

  /** Finalizes what is past its grace (finest first, merged upwards) and emits what changed and ended. */
  private advance(now: number, out: Metric[]): void {
    const through = now - this.cfg.grace;
    const topIndex = this.tiers.length - 1;
    for (let k = 0; k <= topIndex; k++) {
      const tier = this.tiers[k];
      if (through <= tier.finalizedThrough) continue;
      tier.finalizedThrough = through;
      for (const w of this.due(tier, through)) {
        tier.windows.delete(w.start);
        if (k === topIndex) {
          for (const a of w.accs.values()) if (a.dirty) this.emit(w, a, out);
        } else {
          const parent = this.tiers[k + 1];
          const pStart = Math.floor(w.start / parent.length) * parent.length;
          for (const a of w.accs.values()) mergeInto(this.acc(parent, a.group, pStart), a);
        }
        for (const a of w.accs.values()) this.release(a.group);
      }
    }
    const top = this.tiers[topIndex];
    for (const w of this.due(top, now)) for (const a of w.accs.values()) if (a.dirty) this.emit(w, a, out);
  }

  /** Windows of a tier ending at or before `through`, oldest first. */
  private due(tier: Tier, through: number): Window[] {
    const due: Window[] = [];
    for (const w of tier.windows.values()) if (w.end <= through) due.push(w);
    return due.sort((a, b) => a.start - b.start);
  }

  private release(g: Group): void {
    if (--g.open === 0) this.groups.delete(g.name, g.key, this.groupBy);
  }

  /** Emits the emitted tier's window of one group: what was merged into it plus its children still in grace. */
  private emit(w: Window, a: Acc, out: Metric[]): void {
    const total = new FieldMap<FieldStats>();
    const take = (from: Acc): void => {
      for (const [field, fs] of from.fields.entries()) {
        const cur = total.get(field);
        if (cur === undefined) total.set(field, fs.copy());
        else cur.merge(fs);
      }
    };
    take(a);
    for (let k = 0; k < this.tiers.length - 1; k++) {
      const tier = this.tiers[k];
      for (let s = w.start; s < w.end; s += tier.length) {
        const child = tier.windows.get(s)?.accs.get(a.group);
        if (child !== undefined) take(child);
      }
    }
    const g = a.group;
    const at = this.cfg.timestamp === 'start' ? w.start : w.end;
    const m = new Metric(g.name + this.cfg.name_suffix, { ...g.tags }, {}, at);
    for (const [field, fs] of total.entries()) fs.write(m, field, this.plan);
    if (Object.keys(m.fields).length === 0) return;
    out.push(m);
    if (a.emitted) this.countReemitted(1);
    else this.countEmitted(1);
    a.emitted = true;
    a.dirty = false;
  }
}

/** Merges a child window's statistics into its parent's. */
function mergeInto(parent: Acc, child: Acc): void {
  for (const [field, fs] of child.fields.entries()) {
    const cur = parent.fields.get(field);
    if (cur === undefined) parent.fields.set(field, fs);
    else cur.merge(fs);
  }
}

function pick(tags: Tags, keys: readonly string[]): Tags {
  const out: Tags = {};
  for (const k of keys) if (tags[k] !== undefined) out[k] = tags[k];
  return out;
}
