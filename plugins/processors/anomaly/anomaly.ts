/**
 * The anomaly processor: one streaming detector per series and numeric field. Each sample gets a
 * score in 0..1 and a flag (score >= threshold, after `warmup` samples, at most once per
 * `cooldown` samples), written onto the metric or emitted as a separate `anomaly` event.
 * Series are capped (`max_series`, counted overflow), forgotten after `expire_after` of silence
 * (in the processor's time, which the core gives) on the core's tick, and optionally persisted to
 * the state directory across restarts: from the tick every `persist_interval` (real time) while
 * scores change (the core never runs two ticks at once, so never two snapshots at once) and on
 * stop, so a crash loses at most one interval of learning.
 */
import { compileGlobs, type GlobSet } from '../../../core/engine/filter/glob.ts';
import { Metric } from '../../../core/model/metric/metric.ts';
import type { PluginContext, ProcessorInstance } from '../../../core/plugin/types.ts';
import { thresholdOf, type AnomalyConfig } from './config.ts';
import { loadState, saveState } from './persist.ts';
import { FieldMap, SeriesIndex } from '../../../core/model/metric/series-index.ts';
import { makeDetector, type FieldState, type SeriesState } from './series.ts';
import { Calibrator, scoreOf } from './score.ts';
import { AdaptiveDetector, ContextualDetector } from './detectors.ts';
import { TailDetector } from './tail.ts';
import { ShiftDetector } from './shift.ts';
import { EnsembleDetector } from './ensemble.ts';

/** Output field names of one input field, built once. */
interface Names {
  score: string;
  flag: string;
  reason: string;
}

/** Longest pause of the expiry sweep. */
const MAX_SWEEP_MS = 60_000;

export class AnomalyProcessor implements ProcessorInstance {
  /** How often the core ticks it: the expiry sweep's and persist_interval's shorter; 0 without either. */
  readonly tickInterval: number;
  private readonly cfg: AnomalyConfig;
  /** The configured threshold, or the detector's default. */
  private readonly threshold: number;
  private readonly ctx: PluginContext;
  private readonly series: SeriesIndex<SeriesState>;
  private readonly fieldMatch: GlobSet;
  private readonly fieldSelected = new Map<string, boolean>();
  private readonly names = new Map<string, Names>();
  private readonly events: boolean;
  private readonly countOverflow: (n?: number) => void;
  private readonly countFlags: (n?: number) => void;
  /** Time between expiry sweeps (processor time); 0 when series never expire. */
  private readonly sweepEvery: number;
  /** Processor time of the last expiry sweep. */
  private sweptAt = -Infinity;
  /** Monotonic time of the last snapshot (or of the start). */
  private savedAt: number;
  /** Scored since the last snapshot was taken. */
  private dirty = false;
  // Scratch space for one metric's results: fields must not be added while iterating them.
  private readonly hitKeys: string[] = [];
  private readonly hitStates: FieldState[] = [];
  private readonly hitValues: number[] = [];
  private readonly hitZ: number[] = [];
  private readonly hitScores: number[] = [];
  private readonly hitFlags: boolean[] = [];

  constructor(cfg: AnomalyConfig, ctx: PluginContext) {
    this.cfg = cfg;
    this.threshold = thresholdOf(cfg);
    this.ctx = ctx;
    this.events = cfg.mode === 'events';
    this.fieldMatch = compileGlobs(cfg.fields);
    this.countOverflow = ctx.metrics.counter(
      'overflow_metrics',
      'Metrics not scored because max_series was reached',
    );
    this.countFlags = ctx.metrics.counter('anomalies', 'Samples flagged as anomalous');
    this.series = cfg.persist ? loadState(cfg, ctx) : new SeriesIndex();
    this.sweepEvery = cfg.expire_after > 0 ? Math.min(MAX_SWEEP_MS, Math.max(10, cfg.expire_after / 2)) : 0;
    const every = [this.sweepEvery, cfg.persist ? cfg.persist_interval : 0].filter((ms) => ms > 0);
    this.tickInterval = every.length === 0 ? 0 : Math.min(...every);
    this.savedAt = ctx.clock.monotonic();
  }

  /**
   * Forgets series silent for expire_after by `nowMs` (the processor's time), and saves a snapshot
   * when persist_interval has passed since the last one and something was scored since.
   */
  async tick(nowMs: number): Promise<Metric[]> {
    if (this.sweepEvery > 0 && nowMs - this.sweptAt >= this.sweepEvery) {
      this.sweptAt = nowMs;
      this.expire(nowMs - this.cfg.expire_after);
    }
    const mono = this.ctx.clock.monotonic();
    if (this.cfg.persist && this.dirty && mono - this.savedAt >= this.cfg.persist_interval) {
      this.savedAt = mono;
      this.dirty = false;
      try {
        await saveState(this.cfg, this.ctx, this.series);
      } catch (e) {
        this.dirty = true;
        this.ctx.log.warn({ err: (e as Error).message }, 'anomaly state not saved; will try again');
      }
    }
    return [];
  }

  /** `nowMs`: the processor's time from the core; the clock's when a direct caller gives none. */
  process(metrics: Metric[], nowMs?: number): Metric[] {
    const now = nowMs ?? this.ctx.clock.now();
    let events: Metric[] | undefined;
    let overflow = 0;
    let flags = 0;
    for (let i = 0; i < metrics.length; i++) {
      const m = metrics[i];
      const n = this.collect(m);
      if (n === 0) continue;
      let s = this.series.get(m.name, m.tags);
      if (s === undefined) {
        if (this.series.size >= this.cfg.max_series) {
          overflow++;
          continue;
        }
        s = { name: m.name, tags: { ...m.tags }, fields: new FieldMap(), seen: now };
        this.series.set(s.name, s.tags, null, s);
      }
      s.seen = now;
      this.dirty = true;
      for (let j = 0; j < n; j++) {
        const k = this.hitKeys[j];
        let st = s.fields.get(k);
        if (st === undefined) {
          st = { det: makeDetector(this.cfg), calib: null, lastFlag: -Infinity };
          if (this.calibrated()) st.calib = new Calibrator();
          s.fields.set(k, st);
        }
        this.score(j, st, m.timeMs);
        if (this.hitFlags[j]) flags++;
      }
      if (this.events) {
        for (let j = 0; j < n; j++) if (this.hitFlags[j]) (events ??= []).push(this.event(m, j));
      } else this.annotate(m, n);
    }
    if (overflow > 0) this.countOverflow(overflow);
    if (flags > 0) this.countFlags(flags);
    return events === undefined ? metrics : metrics.concat(events);
  }

  /** Saves the state (the core calls stop only once the last tick has finished). */
  async stop(): Promise<void> {
    if (this.cfg.persist) await saveState(this.cfg, this.ctx, this.series);
  }

  /** Gathers the selected numeric fields of `m` into the scratch arrays; returns how many. */
  private collect(m: Metric): number {
    let n = 0;
    for (const k in m.fields) {
      const raw = m.fields[k];
      let v: number;
      if (typeof raw === 'number') v = raw;
      else if (typeof raw === 'bigint') v = Number(raw);
      else continue;
      if (!Number.isFinite(v) || !this.selected(k)) continue;
      this.hitKeys[n] = k;
      this.hitValues[n++] = v;
    }
    return n;
  }

  /** Scores scratch entry `j` (of a metric at `timeMs`) with its state and decides the flag. */
  private score(j: number, st: FieldState, timeMs: number): void {
    const z = st.det.update(this.hitValues[j], timeMs);
    const n = st.det.n;
    this.hitStates[j] = st;
    if (n <= this.cfg.warmup) {
      // The calibration learns only from warmed-up deviations: early ones are noise.
      this.hitZ[j] = z;
      this.hitScores[j] = 0;
      this.hitFlags[j] = false;
      return;
    }
    const zc = st.calib === null ? z : Math.sign(z) * Math.max(0, st.calib.update(z));
    this.hitZ[j] = zc;
    const score = st.det.score ?? scoreOf(zc);
    const flag = score >= this.threshold && n - st.lastFlag > this.cfg.cooldown;
    if (flag) st.lastFlag = n;
    this.hitScores[j] = score;
    this.hitFlags[j] = flag;
  }

  private annotate(m: Metric, n: number): void {
    for (let j = 0; j < n; j++) {
      const names = this.namesOf(this.hitKeys[j]);
      m.setField(names.score, this.hitScores[j]);
      m.setField(names.flag, this.hitFlags[j]);
      if (this.hitFlags[j]) m.setField(names.reason, this.reason(j));
    }
  }

  private event(m: Metric, j: number): Metric {
    const tags = { ...m.tags, measurement: m.name, field: this.hitKeys[j], detector: this.cfg.detector };
    const e = new Metric('anomaly', tags, {}, m.timeMs, m.timeNs);
    e.setField('score', this.hitScores[j]);
    e.setField('value', this.hitValues[j]);
    e.setField('expected', this.hitStates[j].det.expected);
    e.setField('deviation', this.hitZ[j]);
    e.setField('reason', this.reason(j));
    return e;
  }

  /** Why a sample was flagged, for people. */
  private reason(j: number): string {
    const st = this.hitStates[j];
    const z = this.hitZ[j];
    if (st.det instanceof AdaptiveDetector) {
      const model = st.det.season > 0 ? `season of ${st.det.season} samples` : 'no season';
      return `adaptive (${model}): ${fmt(this.hitValues[j])} against the expected ${fmt(st.det.expected)}; recent surprise is ${z.toFixed(1)} spreads above its usual level for this series`;
    }
    if (st.det instanceof EnsembleDetector) {
      const { names, scores } = st.det;
      const parts = names.map((name, i) => `${name} ${scores[i].toFixed(2)}`).join(', ');
      return `ensemble (${this.cfg.ensemble_combine} of ${parts}): ${fmt(this.hitValues[j])} against the expected ${fmt(st.det.expected)}`;
    }
    if (st.det instanceof ContextualDetector)
      return `contextual: ${fmt(this.hitValues[j])} (recent mean ${fmt(st.det.expected)}) in a sequence of levels new to this series; recent novelty is ${z.toFixed(1)} spreads above its usual level`;
    if (st.det instanceof TailDetector)
      return `tail: ${fmt(this.hitValues[j])} against a median of ${fmt(st.det.expected)} in this series' recent samples, a two-sided tail probability of ${st.det.tailP.toPrecision(2)} under their distribution`;
    if (st.det instanceof ShiftDetector)
      return `shift: ${fmt(this.hitValues[j])} (recent median ${fmt(st.det.expected)}); the distribution of this series' last ${this.cfg.shift_recent} values is unlike any it has had (chi-squared tail probability ${st.det.shiftP.toPrecision(2)}); recent surprise is ${z.toFixed(1)} spreads above its usual level`;
    const side = z >= 0 ? 'above' : 'below';
    const what = st.calib === null ? 'spreads' : 'spreads, unusual for this series,';
    return `${this.cfg.detector}: ${fmt(this.hitValues[j])} is ${Math.abs(z).toFixed(1)} ${what} ${side} the expected ${fmt(st.det.expected)}`;
  }

  private calibrated(): boolean {
    const c = this.cfg.calibrate;
    // An ensemble calibrates its parts itself; its combined score is final.
    if (this.cfg.detector === 'ensemble') return false;
    return c === 'on' || (c === 'auto' && this.cfg.detector === 'robust');
  }

  private selected(field: string): boolean {
    let s = this.fieldSelected.get(field);
    if (s === undefined) {
      // Never score the fields this processor writes, should a metric pass through it twice.
      s = this.fieldMatch(field) && !/_anomaly(_score|_reason)?$/.test(field);
      if (this.fieldSelected.size < 10_000) this.fieldSelected.set(field, s);
    }
    return s;
  }

  private namesOf(field: string): Names {
    let n = this.names.get(field);
    if (n === undefined) {
      n = { score: field + '_anomaly_score', flag: field + '_anomaly', reason: field + '_anomaly_reason' };
      if (this.names.size < 10_000) this.names.set(field, n);
    }
    return n;
  }

  /** Forgets the series last seen before `cutoff`. */
  private expire(cutoff: number): void {
    const gone: SeriesState[] = [];
    for (const s of this.series.values()) if (s.seen < cutoff) gone.push(s);
    for (const s of gone) this.series.delete(s.name, s.tags);
  }
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
}
