/**
 * The alert processor: one rule evaluated over metrics, one alert per key (the `by` tags). An
 * alert goes inactive -> pending (condition met) -> firing (after `for`) -> resolved (condition
 * clear for `keep_firing_for`, or its series stale). Only state changes emit `alert` events
 * (firing, a severity change, resolved), plus a re-send of firing alerts every `repeat_interval`,
 * which an alertmanager or webhook output delivers. An alert that changes state too often is
 * flapping: its notifications are held until it settles (flapping.ts). State survives restarts
 * and crashes (`persist`): it is saved after every batch or tick that changed it, before the
 * events of that change are returned.
 *
 * Time is the processor's, given by the core (the `clock` common key): `for` and `keep_firing_for`
 * run on the metrics' timestamps; timeouts, stale series and re-sends are checked against the
 * processor's time in process() and in tick(), which the core calls every second.
 */
import { compileExpression, type CompiledExpression } from '../../../core/lib/expr/index.ts';
import { groupKey, groupTags } from '../../../core/lib/grouping/by-tags.ts';
import { Metric, type Tags } from '../../../core/model/metric/metric.ts';
import type { PluginContext, ProcessorInstance } from '../../../core/plugin/types.ts';
import type { AlertConfig } from './config.ts';
import { FlapGuard } from './flapping.ts';
import { compileTemplate, levelFunction, SEVERITY, type LevelOf, type Template } from './levels.ts';
import { loadState, saveState, type AlertState } from './state.ts';

export class AlertProcessor implements ProcessorInstance {
  /** Timeouts and re-sends are checked every second with no input. */
  readonly tickInterval = 1000;
  private readonly cfg: AlertConfig;
  private readonly ctx: PluginContext;
  private readonly value: CompiledExpression;
  private readonly levelOf: LevelOf;
  private readonly labels: [string, Template][];
  private readonly annotations: [string, Template][];
  private readonly alerts: Map<string, AlertState>;
  private readonly flaps: FlapGuard | undefined;
  private readonly countSent: (n?: number, attrs?: Record<string, string>) => void;
  /** State changed since the last save. */
  private dirty = false;

  constructor(cfg: AlertConfig, ctx: PluginContext) {
    this.cfg = cfg;
    this.ctx = ctx;
    this.value = compileExpression(cfg.value);
    this.levelOf = levelFunction(cfg);
    this.labels = Object.entries(cfg.labels ?? {}).map(([k, v]) => [k, compileTemplate(v)]);
    this.annotations = Object.entries(cfg.annotations ?? {}).map(([k, v]) => [k, compileTemplate(v)]);
    this.countSent = ctx.metrics.counter('notifications', 'alert events emitted, by status');
    const saved = cfg.persist ? loadState(cfg, ctx) : { alerts: new Map<string, AlertState>(), flaps: [] };
    this.alerts = saved.alerts;
    if (cfg.flap_threshold > 0)
      this.flaps = new FlapGuard(
        {
          threshold: cfg.flap_threshold,
          settle: cfg.flap_settle_threshold ?? Math.floor(cfg.flap_threshold / 2),
          windowMs: cfg.flap_window,
          repeatMs: cfg.repeat_interval,
        },
        ctx,
        saved.flaps,
      );
  }

  /** Timeouts and re-sends due by `nowMs` (the processor's time, from the core's timer). */
  tick(nowMs: number): Metric[] {
    return this.sweep(nowMs);
  }

  /** `nowMs`: the processor's time from the core; a direct caller gets the later of the clock and the newest metric time. */
  process(metrics: Metric[], nowMs?: number): Metric[] {
    let out: Metric[] | undefined;
    const now = nowMs ?? this.fallbackNow(metrics);
    for (const m of metrics) {
      const v = this.value.eval(m);
      if (v === null) continue;
      const key = groupKey(m, this.cfg.by);
      const a = this.alerts.get(key);
      const level = this.levelOf(v, a?.level ?? 0);
      if (level === null) continue;
      const ev = this.observe(
        a ?? this.newAlert(key, m),
        level,
        typeof v === 'number' ? v : level > 0 ? 1 : 0,
        m.timeMs,
        now,
      );
      if (ev !== null) (out ??= []).push(ev);
    }
    const swept = this.sweep(now);
    if (swept.length > 0) (out ??= []).push(...swept);
    return out === undefined ? metrics : metrics.concat(out);
  }

  async stop(): Promise<void> {
    if (this.cfg.persist) saveState(this.cfg, this.ctx, this.alerts, this.flaps?.records);
    this.dirty = false;
  }

  /** Saves the state when it changed; a failed save is logged and tried again on the next change or tick. */
  private persist(): void {
    if (!this.dirty || !this.cfg.persist) return;
    try {
      saveState(this.cfg, this.ctx, this.alerts, this.flaps?.records);
      this.dirty = false;
    } catch (e) {
      this.ctx.log.warn({ err: (e as Error).message }, 'alert state not saved; will try again');
    }
  }

  /** Applies one evaluation to an alert; returns the event it causes, if any. */
  /** `t`: the metric's time; `wall`: the processor's time now (when a notification is sent). */
  private observe(a: AlertState, level: number, value: number, t: number, wall: number): Metric | null {
    a.level = level;
    a.value = value;
    a.seen = t;
    if (level > 0) {
      if (a.clearSince !== null) this.dirty = true;
      a.clearSince = null;
      if (a.state === 'inactive') {
        a.state = 'pending';
        a.since = t;
        this.dirty = true;
      }
      if (a.state === 'pending' && t - a.since >= this.cfg.for) {
        a.state = 'firing';
        a.startsAt = t;
        a.fired = level;
        return this.notify(a, 'firing', wall, t, true);
      }
      if (a.state === 'firing' && level !== a.fired) {
        const previous = a.fired;
        a.fired = level;
        return this.notify(a, 'firing', wall, t, false, previous);
      }
      return null;
    }
    if (a.state === 'pending') {
      a.state = 'inactive';
      this.dirty = true;
    }
    if (a.state !== 'firing') {
      this.alerts.delete(a.key);
      return null;
    }
    if (a.clearSince === null) {
      a.clearSince = t;
      this.dirty = true;
    }
    return t - a.clearSince >= this.cfg.keep_firing_for ? this.resolve(a, t, wall) : null;
  }

  /** The later of the clock and the newest metric time, for a caller that gives no time. */
  private fallbackNow(metrics: Metric[]): number {
    let newest = this.ctx.clock.now();
    for (const m of metrics) if (m.timeMs > newest) newest = m.timeMs;
    return newest;
  }

  /** Timeouts without input: keep_firing_for ran out, the series went stale, or a re-send is due. */
  private sweep(now: number): Metric[] {
    const out: Metric[] = [];
    const stale = this.cfg.stale_after;
    for (const a of this.alerts.values()) {
      if (a.state === 'firing') {
        let ev: Metric | null = null;
        if (a.clearSince !== null && now - a.clearSince >= this.cfg.keep_firing_for)
          ev = this.resolve(a, now, now);
        else if (stale > 0 && now - a.seen >= stale) ev = this.resolve(a, now, now);
        else if (now - a.sentAt >= this.cfg.repeat_interval && this.flaps?.isFlapping(a.key) !== true)
          ev = this.notify(a, 'firing', now, now, false);
        if (ev !== null) out.push(ev);
      } else if (stale > 0 && now - a.seen >= stale) {
        this.alerts.delete(a.key);
        this.dirty = true;
      }
    }
    for (const n of this.flaps?.sweep(now, now, (k) => this.alerts.get(k)) ?? []) {
      out.push(this.send(n.alert, n.status, now, n.at, n.previous));
      this.flaps?.sent(n.alert, n.status);
    }
    // Every batch and tick ends here: what changed is on disk before its events leave.
    this.persist();
    return out;
  }

  private resolve(a: AlertState, t: number, wall: number): Metric | null {
    this.alerts.delete(a.key);
    a.state = 'inactive';
    a.endsAt = t;
    return this.notify(a, 'resolved', wall, t, true);
  }

  /** Sends a state change or severity change unless the alert is flapping. */
  private notify(
    a: AlertState,
    status: 'firing' | 'resolved',
    wall: number,
    at: number,
    change: boolean,
    previous?: number,
  ): Metric | null {
    this.dirty = true;
    if (this.flaps !== undefined && !this.flaps.admit(a, status, change, at)) return null;
    const m = this.send(a, status, wall, at, previous);
    this.flaps?.sent(a, status);
    return m;
  }

  /**
   * The `alert` event: labels as tags, annotations as `annotation_*` fields; `previous` is the
   * severity a firing alert had before (receivers that key alerts by labels resolve that one).
   */
  private send(
    a: AlertState,
    status: 'firing' | 'resolved',
    wall: number,
    at: number,
    previous?: number,
  ): Metric {
    this.dirty = true;
    a.sentAt = wall;
    const severity = SEVERITY[a.fired];
    const vars = (name: string): string | undefined =>
      name === 'value'
        ? String(a.value)
        : name === 'severity'
          ? severity
          : name === 'alert'
            ? this.cfg.alert
            : a.tags[name];
    const tags: Tags = { ...a.tags };
    for (const [k, tpl] of this.labels) tags[k] = tpl(vars);
    tags.alertname = this.cfg.alert;
    tags.severity = severity;
    const m = new Metric('alert', tags, {}, Math.floor(Number.isFinite(at) ? at : wall));
    m.setField('status', status);
    m.setField('value', a.value);
    m.setInt('starts_at', Math.floor(a.startsAt));
    if (status === 'resolved') m.setInt('ends_at', Math.floor(a.endsAt));
    if (previous !== undefined && previous !== a.fired && previous > 0)
      m.setField('previous_severity', SEVERITY[previous]);
    for (const [k, tpl] of this.annotations) m.setField('annotation_' + k, tpl(vars));
    this.countSent(1, { status });
    return m;
  }

  private newAlert(key: string, m: Metric): AlertState {
    const a: AlertState = {
      key,
      tags: groupTags(m, this.cfg.by),
      state: 'inactive',
      level: 0,
      fired: 0,
      value: 0,
      since: 0,
      startsAt: 0,
      endsAt: 0,
      seen: 0,
      clearSince: null,
      sentAt: -Infinity,
    };
    this.alerts.set(key, a);
    return a;
  }
}
