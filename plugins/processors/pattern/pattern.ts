/**
 * The pattern processor (complex event processing), keyed by tags: sequence (A then B within T,
 * other events allowed between), absence (A not followed by B within T), count (N events within T)
 * and deadman (a key silent for T). A match emits a `pattern_match` event with a summary of the
 * matched events; after a match every partial match of that key is discarded (skip past last
 * event). Absence and deadman fire as the processor's time (given by the core, after the `clock`
 * common key) passes their deadline: in process() as events arrive, and in tick(), which the core
 * calls on its timer when no further input comes. Events pass on unchanged.
 */
import { compileExpression, type CompiledExpression } from '../../../core/lib/expr/index.ts';
import { groupKey, groupTags } from '../../../core/lib/grouping/by-tags.ts';
import { Metric, type Tags } from '../../../core/model/metric/metric.ts';
import type { PluginContext, ProcessorInstance } from '../../../core/plugin/types.ts';
import type { PatternConfig } from './config.ts';
import { summary, withFirst } from './summary.ts';

/** A pending first event (sequence, absence) or a counted event (count). */
interface Pending {
  /** Event time in ms (ns fraction included), for `within` between events. */
  t: number;
  /** When it times out (absence): event time + within. */
  due: number;
  m: Metric;
}

interface KeyState {
  tags: Tags;
  pending: Pending[];
  /** deadman: when the key was last seen (event time) and whether it already fired since. */
  seen: number;
  fired: boolean;
}

/** Longest interval between ticks: a timeout fires at most this late. */
const MAX_TICK_MS = 1000;

export class PatternMatcher implements ProcessorInstance {
  /** Absence and deadman: a tenth of `within`, between 10 ms and 1 s; 0 (no timer) for the others. */
  readonly tickInterval: number;
  private readonly cfg: PatternConfig;
  private readonly ctx: PluginContext;
  private readonly first: CompiledExpression;
  private readonly then: CompiledExpression | null;
  /** Whether `then` refers to the first event (then it is evaluated once per pending first). */
  private readonly thenRefersFirst: boolean;
  private readonly keys = new Map<string, KeyState>();
  private watermark = -Infinity;
  /** Earliest timeout of any key (absence, deadman). */
  private nextDue = Infinity;
  private readonly countMatches: (n?: number) => void;
  private readonly countOverflow: (n?: number) => void;
  private readonly countDropped: (n?: number) => void;

  constructor(cfg: PatternConfig, ctx: PluginContext) {
    this.cfg = cfg;
    this.ctx = ctx;
    this.first = compileExpression(cfg.first);
    this.then = cfg.then === undefined ? null : compileExpression(cfg.then);
    this.thenRefersFirst = cfg.then !== undefined && cfg.then.includes('first.');
    this.tickInterval =
      cfg.kind === 'absence' || cfg.kind === 'deadman'
        ? Math.min(MAX_TICK_MS, Math.max(10, cfg.within / 10))
        : 0;
    this.countMatches = ctx.metrics.counter('matches', 'pattern_match events emitted');
    this.countOverflow = ctx.metrics.counter(
      'overflow_events',
      'Events not matched because max_keys was reached',
    );
    this.countDropped = ctx.metrics.counter(
      'dropped_partials',
      'Partial matches dropped because max_partial was reached',
    );
  }

  /** Fires the timeouts due by `nowMs` (the processor's time, from the core's timer). */
  tick(nowMs: number): Metric[] {
    const out = this.timeouts(nowMs);
    if (out.length > 0) this.countMatches(out.length);
    return out;
  }

  /** `nowMs`: the processor's time from the core; a direct caller gets the later of the clock and the watermark. */
  process(metrics: Metric[], nowMs?: number): Metric[] {
    let out: Metric[] | undefined;
    let overflow = 0;
    for (const m of metrics) {
      const t = m.timeMs + m.timeNs / 1e6;
      if (t > this.watermark) this.watermark = t;
      const isFirst = this.first.test(m);
      if (!isFirst && (this.then === null || this.keys.size === 0)) continue;
      const key = groupKey(m, this.cfg.by);
      let st = this.keys.get(key);
      if (st === undefined) {
        if (!isFirst) continue;
        if (this.keys.size >= this.cfg.max_keys) {
          overflow++;
          continue;
        }
        st = { tags: groupTags(m, this.cfg.by), pending: [], seen: -Infinity, fired: false };
        this.keys.set(key, st);
      }
      const match = this.step(st, m, t, isFirst);
      if (match !== null) (out ??= []).push(match);
      if (st.pending.length === 0 && this.cfg.kind !== 'deadman') this.keys.delete(key);
    }
    if (overflow > 0) this.countOverflow(overflow);
    const timedOut = this.timeouts(nowMs ?? Math.max(this.ctx.clock.now(), this.watermark));
    if (timedOut.length > 0) (out ??= []).push(...timedOut);
    if (out === undefined) return metrics;
    this.countMatches(out.length);
    return metrics.concat(out);
  }

  /** Feeds one event to its key's state; returns a match it completes. */
  private step(st: KeyState, m: Metric, t: number, isFirst: boolean): Metric | null {
    const within = this.cfg.within;
    switch (this.cfg.kind) {
      case 'sequence': {
        while (st.pending.length > 0 && st.pending[0].t < t - within) st.pending.shift();
        const a = this.followed(st, m);
        if (a !== undefined) {
          st.pending.length = 0;
          return this.match(st, 'sequence', [a.m, m], m.timeMs, m.timeNs);
        }
        if (isFirst) this.hold(st, { t, due: t + within, m });
        return null;
      }
      case 'absence': {
        if (st.pending.length > 0 && this.then !== null) {
          // B answers every pending A it matches (the others keep waiting).
          st.pending = this.thenRefersFirst
            ? st.pending.filter((p) => !this.then?.test(withFirst(m, p.m)))
            : this.then.test(m)
              ? []
              : st.pending;
        }
        if (isFirst) this.hold(st, { t, due: t + within, m });
        return null;
      }
      case 'count': {
        if (!isFirst) return null;
        while (st.pending.length > 0 && st.pending[0].t < t - within) st.pending.shift();
        this.hold(st, { t, due: t + within, m });
        if (st.pending.length < this.cfg.count) return null;
        const events = st.pending.map((p) => p.m);
        st.pending.length = 0;
        return this.match(st, 'count', events, m.timeMs, m.timeNs);
      }
      case 'deadman':
        if (isFirst) {
          st.seen = t;
          st.fired = false;
          if (t + within < this.nextDue) this.nextDue = t + within;
        }
        return null;
    }
  }

  /** The earliest pending first event that `m` follows (sequence), or undefined. */
  private followed(st: KeyState, m: Metric): Pending | undefined {
    const then = this.then;
    if (then === null || st.pending.length === 0) return undefined;
    if (!this.thenRefersFirst) return then.test(m) ? st.pending[0] : undefined;
    return st.pending.find((p) => p.m !== m && then.test(withFirst(m, p.m)));
  }

  /** Holds a pending event, dropping the oldest beyond max_partial. */
  private hold(st: KeyState, p: Pending): void {
    if (st.pending.length >= this.cfg.max_partial) {
      st.pending.shift();
      this.countDropped();
    }
    st.pending.push(p);
    if (p.due < this.nextDue) this.nextDue = p.due;
  }

  /**
   * Fires absence and deadman timeouts due by `now` and returns their matches; for sequence and
   * count, forgets pending events too old to be part of a match (by event time).
   */
  private timeouts(now: number): Metric[] {
    const out: Metric[] = [];
    const kind = this.cfg.kind;
    const expireOnly = kind === 'sequence' || kind === 'count';
    const limit = expireOnly ? this.watermark : now;
    if (limit < this.nextDue) return out;
    let next = Infinity;
    const within = this.cfg.within;
    for (const [key, st] of this.keys) {
      if (kind === 'deadman') {
        if (st.fired) continue;
        const due = st.seen + within;
        if (due <= now) {
          st.fired = true;
          out.push(this.match(st, 'deadman', [], Math.floor(due), 0, within));
        } else if (due < next) next = due;
        continue;
      }
      // An event exactly `within` after a pending one still completes it: expire strictly after.
      while (st.pending.length > 0 && (expireOnly ? st.pending[0].due < limit : st.pending[0].due <= limit)) {
        const p = st.pending.shift() as Pending;
        if (!expireOnly) out.push(this.match(st, 'absence', [p.m], Math.floor(p.due), 0, within));
      }
      if (st.pending.length === 0) this.keys.delete(key);
      else if (st.pending[0].due < next) next = st.pending[0].due;
    }
    this.nextDue = next;
    return out;
  }

  /** A pattern_match event. */
  private match(
    st: KeyState,
    kind: string,
    events: Metric[],
    timeMs: number,
    timeNs: number,
    silentMs?: number,
  ): Metric {
    const tags: Tags = { ...st.tags, pattern: this.cfg.rule, kind };
    const out = new Metric('pattern_match', tags, {}, timeMs, timeNs);
    out.setInt('events', events.length);
    if (events.length > 0) {
      const a = events[0];
      const b = events[events.length - 1];
      out.setField('span_s', (b.timeMs - a.timeMs + (b.timeNs - a.timeNs) / 1e6) / 1000);
      out.setField('first', summary(a));
      if (events.length > 1) out.setField('last', summary(b));
    }
    if (silentMs !== undefined) out.setField('silent_s', silentMs / 1000);
    return out;
  }
}
