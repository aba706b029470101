/**
 * Flapping suppression of the alert processor (Nagios-style): the state changes of each alert
 * (firing, resolved) are counted over a sliding window; above the threshold the alert is flapping
 * and its notifications are held, so receivers keep what they were last told. Once the changes
 * in the window fall to the settle threshold, the alert's current state is announced if it
 * differs from that. A firing alert receivers know of is re-sent while it flaps, so they do not
 * expire it.
 */
import type { PluginContext } from '../../../core/plugin/types.ts';
import type { AlertState } from './state.ts';

/** What the guard knows of one alert key. */
export interface FlapRecord {
  /** Times of the state changes within the window (rule clock), oldest first. */
  changes: number[];
  flapping: boolean;
  /** What receivers were last told: a copy of the firing alert, or null (resolved or never sent). */
  notified: AlertState | null;
  /** When the alert last resolved while its notification was held. */
  resolvedAt: number;
}

/** A notification the guard asks for: an alert (raw or as receivers know it), its status, the severity it replaces. */
export interface FlapNotice {
  alert: AlertState;
  status: 'firing' | 'resolved';
  at: number;
  previous?: number;
}

/** Flap settings, from the rule's config. */
export interface FlapSettings {
  threshold: number;
  settle: number;
  windowMs: number;
  repeatMs: number;
}

export class FlapGuard {
  readonly records = new Map<string, FlapRecord>();
  private readonly cfg: FlapSettings;
  private readonly ctx: PluginContext;
  private readonly countHeld: (n?: number, attrs?: Record<string, string>) => void;
  private readonly setFlapping: (v: number) => void;

  constructor(cfg: FlapSettings, ctx: PluginContext, saved: [string, FlapRecord][] = []) {
    this.cfg = cfg;
    this.ctx = ctx;
    this.countHeld = ctx.metrics.counter(
      'flap_suppressed',
      'alert notifications held back because the alert was flapping, by status',
    );
    this.setFlapping = ctx.metrics.gauge('flapping', 'alerts currently flapping');
    for (const [k, r] of saved) this.records.set(k, r);
    this.report();
  }

  /** Whether a notification may go out now; `change` says it is a state change (fire or resolve). */
  admit(a: AlertState, status: 'firing' | 'resolved', change: boolean, at: number): boolean {
    let r = this.records.get(a.key);
    if (r === undefined) {
      r = { changes: [], flapping: false, notified: null, resolvedAt: 0 };
      this.records.set(a.key, r);
    }
    if (change) {
      r.changes.push(at);
      this.prune(r, at);
      if (!r.flapping && r.changes.length > this.cfg.threshold) {
        r.flapping = true;
        this.ctx.log.info(
          { alert: a.tags, changes: r.changes.length, windowMs: this.cfg.windowMs },
          'alert is flapping; notifications held until it settles',
        );
        this.report();
      }
    }
    if (!r.flapping) return true;
    if (status === 'resolved') r.resolvedAt = at;
    this.countHeld(1, { status });
    return false;
  }

  /** Records a notification that went out. */
  sent(a: AlertState, status: 'firing' | 'resolved'): void {
    const r = this.records.get(a.key);
    if (r !== undefined) r.notified = status === 'firing' ? { ...a, tags: { ...a.tags } } : null;
  }

  /** True while the alert's notifications are held. */
  isFlapping(key: string): boolean {
    return this.records.get(key)?.flapping === true;
  }

  /**
   * Ages out old changes, settles alerts whose changes fell to the settle threshold (announcing
   * their state when it differs from what receivers know), re-sends the firing alerts receivers
   * know of while they flap, and forgets quiet keys.
   */
  sweep(now: number, wall: number, current: (key: string) => AlertState | undefined): FlapNotice[] {
    const out: FlapNotice[] = [];
    let settled = false;
    for (const [key, r] of this.records) {
      this.prune(r, now);
      if (r.flapping && r.changes.length <= this.cfg.settle) {
        r.flapping = false;
        settled = true;
        const n = this.reconcile(r, current(key), now);
        this.ctx.log.info(
          { alert: (current(key) ?? r.notified)?.tags, announced: n?.status ?? 'nothing' },
          'alert settled; notifications resume',
        );
        if (n !== undefined) out.push(n);
      } else if (r.flapping && r.notified !== null && wall - r.notified.sentAt >= this.cfg.repeatMs) {
        out.push({ alert: r.notified, status: 'firing', at: now });
      }
      if (!r.flapping && r.changes.length === 0 && r.notified === null) this.records.delete(key);
    }
    if (settled) this.report();
    return out;
  }

  /** What to announce when an alert settles: its state now, when receivers know another. */
  private reconcile(r: FlapRecord, a: AlertState | undefined, now: number): FlapNotice | undefined {
    const known = r.notified;
    if (a !== undefined && a.state === 'firing') {
      if (known !== null && known.fired === a.fired) {
        // Receivers know it firing: keep the re-send schedule of what they were sent.
        a.sentAt = known.sentAt;
        r.notified = { ...a, tags: { ...a.tags } };
        return undefined;
      }
      return { alert: a, status: 'firing', at: now, previous: known?.fired };
    }
    if (known === null) return undefined;
    const endsAt = Math.max(r.resolvedAt, known.startsAt);
    return { alert: { ...known, state: 'inactive', endsAt }, status: 'resolved', at: now };
  }

  private prune(r: FlapRecord, now: number): void {
    const from = now - this.cfg.windowMs;
    let i = 0;
    while (i < r.changes.length && r.changes[i] <= from) i++;
    if (i > 0) r.changes.splice(0, i);
  }

  private report(): void {
    let n = 0;
    for (const r of this.records.values()) if (r.flapping) n++;
    this.setFlapping(n);
  }
}
