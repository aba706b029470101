/**
 * The fleet registry: the last heartbeat of every agent, its source health (health.ts) kept up to
 * date by a sweep once a second, the read side of the JSON API and the dashboard (FleetView), the
 * viva_fleet_* gauges, and a state file so a restarted collector still knows its fleet.
 */
import type { Logger } from 'pino';
import type { Telemetry } from '../../core/engine/telemetry/telemetry.ts';
import { ErrorCode } from '../../core/model/errors/codes.ts';
import type { FleetSettings } from './config.ts';
import { deriveHealth, type HealthRules } from './health.ts';
import type { Heartbeat } from './heartbeat.ts';
import { loadState, saveState } from './store.ts';
import type { AgentStatus, FleetPage, FleetQuery, FleetView, SourceHealth } from './types.ts';

/** What the registry keeps of an agent: its status plus what the rules and rates need. */
export interface AgentRecord extends AgentStatus {
  intervalMs: number;
  status?: string;
  metricsIn: number;
  metricsOut: number;
}

/** Wall clock in ms since the epoch (injectable for tests). */
export interface FleetClock {
  now(): number;
}

export interface FleetRegistryOptions {
  settings: FleetSettings;
  /** The state file; undefined keeps the registry in memory only. */
  file?: string;
  telemetry: Telemetry;
  log: Logger;
  clock?: FleetClock;
}

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 500;
const SWEEP_MS = 1000;
const SAVE_MS = 5000;
const RANK: Record<SourceHealth, number> = { silent: 0, degraded: 1, healthy: 2 };
/**
 * Upper bounds (seconds) of viva_fleet_heartbeat_age_agents{max_age}, cumulative. A gauge of agents
 * now, not a histogram of observations, so the label is not `le` (reserved for histograms).
 */
const AGE_BUCKETS = [10, 30, 60, 300, 3600, Infinity];

/** The public view of a record (what the API shows). */
function statusOf(r: AgentRecord): AgentStatus {
  const { intervalMs: _i, status: _s, metricsIn: _a, metricsOut: _b, ...view } = r;
  return view;
}

function compare(sort: NonNullable<FleetQuery['sort']>): (a: AgentRecord, b: AgentRecord) => number {
  const byId = (a: AgentRecord, b: AgentRecord): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  switch (sort) {
    case 'worst':
      return (a, b) => RANK[a.health] - RANK[b.health] || b.errorRate - a.errorRate || byId(a, b);
    case 'id':
      return byId;
    case 'host':
      return (a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : byId(a, b));
    default:
      return (a, b) => a[sort] - b[sort] || byId(a, b);
  }
}

/** Default order of a sort: worst first, names ascending, numbers largest first. */
const DESC_BY_DEFAULT = new Set(['lastSeen', 'rateIn', 'errorRate']);

export class FleetRegistry implements FleetView {
  private readonly agents = new Map<string, AgentRecord>();
  private readonly listeners = new Set<() => void>();
  private readonly heartbeatListeners = new Set<(r: AgentRecord) => void>();
  private readonly opts: FleetRegistryOptions;
  private readonly clock: FleetClock;
  private settings: FleetSettings;
  private sweepTimer: NodeJS.Timeout | undefined;
  private saveTimer: NodeJS.Timeout | undefined;
  private dirty = false;

  constructor(opts: FleetRegistryOptions) {
    this.opts = opts;
    this.settings = opts.settings;
    this.clock = opts.clock ?? { now: () => Date.now() };
  }

  /** The number of agents known. */
  get size(): number {
    return this.agents.size;
  }

  /** Loads the state file and starts the sweep and the periodic save. */
  open(): void {
    const file = this.opts.file;
    if (file !== undefined) {
      try {
        for (const r of loadState(file)) this.agents.set(r.id, r);
      } catch (e) {
        this.opts.log.warn(
          { code: ErrorCode.FLEET, file, err: e instanceof Error ? e.message : String(e) },
          'fleet state file unreadable; starting with an empty registry',
        );
      }
    }
    this.sweep();
    this.sweepTimer = setInterval(() => this.sweep(), SWEEP_MS);
    this.sweepTimer.unref();
    if (file !== undefined) {
      this.saveTimer = setInterval(() => this.save(), SAVE_MS);
      this.saveTimer.unref();
    }
    this.opts.log.info({ agents: this.agents.size, file }, 'fleet registry opened');
  }

  /** Stops the timers and saves the state. */
  close(): void {
    clearInterval(this.sweepTimer);
    clearInterval(this.saveTimer);
    this.sweepTimer = undefined;
    this.saveTimer = undefined;
    this.save();
  }

  /** New thresholds (live reload); health is derived again at once. */
  configure(settings: FleetSettings): void {
    this.settings = settings;
    this.sweep();
  }

  private rules(): HealthRules {
    return { deadmanMs: this.settings.deadman, degradedBufferFill: this.settings.degraded_buffer_fill };
  }

  /** Takes a heartbeat; false when the registry is full and the agent is new. */
  heartbeat(hb: Heartbeat): boolean {
    const now = this.clock.now();
    if (!this.agents.has(hb.id) && this.agents.size >= this.settings.max_agents) return false;
    const r: AgentRecord = {
      id: hb.id,
      host: hb.host,
      version: hb.version,
      configHash: hb.configHash,
      ...(hb.configVersion !== undefined ? { configVersion: hb.configVersion } : {}),
      ...(hb.configRejected !== undefined ? { configRejected: hb.configRejected } : {}),
      startedAt: hb.startedAt,
      lastSeen: now,
      uptimeSeconds: hb.uptimeSeconds,
      rateIn: hb.rateIn,
      rateOut: hb.rateOut,
      errors: hb.errors,
      errorRate: hb.errorRate,
      bufferFill: hb.bufferFill,
      ...(hb.lastError !== undefined ? { lastError: hb.lastError } : {}),
      health: 'healthy',
      intervalMs: hb.intervalSeconds * 1000,
      ...(hb.status !== undefined ? { status: hb.status } : {}),
      metricsIn: hb.metricsIn,
      metricsOut: hb.metricsOut,
    };
    this.derive(r, now);
    this.agents.set(r.id, r);
    this.dirty = true;
    for (const l of this.heartbeatListeners) l(r);
    this.changed();
    return true;
  }

  /** Called with each record a heartbeat made (shared with other collectors); returns an unsubscribe. */
  onHeartbeat(listener: (r: AgentRecord) => void): () => void {
    this.heartbeatListeners.add(listener);
    return () => void this.heartbeatListeners.delete(listener);
  }

  /** A record seen by another collector (shared heartbeats): kept when newer than ours. */
  merge(r: AgentRecord): void {
    const mine = this.agents.get(r.id);
    if (mine !== undefined && mine.lastSeen >= r.lastSeen) return;
    if (mine === undefined && this.agents.size >= this.settings.max_agents) return;
    const copy = { ...r };
    this.derive(copy, this.clock.now());
    this.agents.set(copy.id, copy);
    this.dirty = true;
    this.changed();
  }

  /** One agent's record, as the registry holds it. */
  get(id: string): AgentRecord | undefined {
    return this.agents.get(id);
  }

  private derive(r: AgentRecord, now: number): boolean {
    const d = deriveHealth(r, now, this.rules());
    const changed = d.health !== r.health || d.reason !== r.healthReason;
    r.health = d.health;
    if (d.reason !== undefined) r.healthReason = d.reason;
    else delete r.healthReason;
    return changed;
  }

  /**
   * Derives every agent's health at the clock's now, forgets agents silent past forget_after,
   * publishes the gauges and tells the listeners when a health changed. Runs once a second.
   */
  sweep(): void {
    const now = this.clock.now();
    const forget = this.settings.forget_after;
    let changed = false;
    for (const r of this.agents.values()) {
      if (forget > 0 && now - r.lastSeen > forget) {
        this.agents.delete(r.id);
        this.dirty = true;
        changed = true;
        continue;
      }
      // A reason text that only counts seconds up is no change a listener needs to hear about.
      const before = r.health;
      this.derive(r, now);
      if (r.health !== before) changed = true;
    }
    this.publish(now);
    if (changed) this.changed();
  }

  /** Writes the state file when something changed since the last write. */
  save(): void {
    const file = this.opts.file;
    if (file === undefined || !this.dirty) return;
    try {
      saveState(file, [...this.agents.values()], this.clock.now());
      this.dirty = false;
    } catch (e) {
      this.opts.log.warn(
        { code: ErrorCode.FLEET, file, err: e instanceof Error ? e.message : String(e) },
        'fleet state could not be saved',
      );
    }
  }

  list(query: FleetQuery): FleetPage {
    const counts: Record<SourceHealth, number> = { healthy: 0, degraded: 0, silent: 0 };
    const needle = (query.filter ?? '').toLowerCase();
    const matching: AgentRecord[] = [];
    for (const r of this.agents.values()) {
      counts[r.health]++;
      if (query.health !== undefined && r.health !== query.health) continue;
      if (needle !== '' && !r.id.toLowerCase().includes(needle) && !r.host.toLowerCase().includes(needle))
        continue;
      matching.push(r);
    }
    const sort = query.sort ?? 'worst';
    const cmp = compare(sort);
    const desc = (query.order ?? (DESC_BY_DEFAULT.has(sort) ? 'desc' : 'asc')) === 'desc';
    matching.sort(desc ? (a, b) => cmp(b, a) : cmp);
    const offset = Math.max(0, Math.floor(query.offset ?? 0));
    const limit = Math.min(MAX_LIMIT, Math.max(0, Math.floor(query.limit ?? DEFAULT_LIMIT)));
    return {
      total: matching.length,
      counts,
      agents: matching.slice(offset, offset + limit).map(statusOf),
    };
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  private changed(): void {
    for (const l of this.listeners) {
      try {
        l();
      } catch (e) {
        this.opts.log.warn({ err: e instanceof Error ? e.message : String(e) }, 'fleet listener failed');
      }
    }
  }

  /**
   * Fleet gauges of bounded cardinality whatever the fleet size (no series per agent: which
   * agents are unwell is what /api/fleet answers): agents by health, agents whose central config
   * was rejected, agents by age of their last heartbeat, and the longest any has been quiet.
   */
  private publish(now: number): void {
    const t = this.opts.telemetry;
    const counts: Record<SourceHealth, number> = { healthy: 0, degraded: 0, silent: 0 };
    let rejected = 0;
    let oldest = 0;
    const byAge = AGE_BUCKETS.map(() => 0);
    for (const r of this.agents.values()) {
      counts[r.health]++;
      if (r.configRejected !== undefined) rejected++;
      const age = now - r.lastSeen;
      oldest = Math.max(oldest, age);
      for (let i = 0; i < AGE_BUCKETS.length; i++) if (age <= AGE_BUCKETS[i] * 1000) byAge[i]++;
    }
    const agents = t.gauge('viva_fleet_agents', 'Agents in the fleet registry, by source health');
    for (const h of ['healthy', 'degraded', 'silent'] as const) agents.set(counts[h], { health: h });
    t.gauge(
      'viva_fleet_config_rejected_agents',
      'Agents that reported their central config as rejected (running their previous one)',
    ).set(rejected, {});
    t.gauge(
      'viva_fleet_heartbeat_age_max_seconds',
      'Seconds since the last heartbeat of the agent quiet longest (0 with no agent)',
    ).set(Math.max(0, oldest / 1000), {});
    const ages = t.gauge(
      'viva_fleet_heartbeat_age_agents',
      'Agents whose last heartbeat is at most max_age seconds old (cumulative)',
    );
    AGE_BUCKETS.forEach((b, i) => ages.set(byAge[i], { max_age: b === Infinity ? '+Inf' : String(b) }));
  }
}
