/**
 * Source health, derived from an agent's last heartbeat and the collector's clock (docs/FLEET.md):
 * silent once no heartbeat came for the deadman time, degraded while the agent reports trouble,
 * healthy otherwise. A pure function, so the rules are tested with any clock.
 */
import type { SourceHealth } from './types.ts';

/** What the rules look at of one agent. */
export interface HealthInput {
  lastSeen: number;
  /** The heartbeat interval the agent reported (ms). */
  intervalMs: number;
  errorRate: number;
  bufferFill: number;
  configRejected?: string;
  /** The agent's own /health status ('degraded': an output failing past health_degraded_after). */
  status?: string;
}

/** The thresholds, from [collector.fleet]. */
export interface HealthRules {
  /** 0: three times the agent's interval. */
  deadmanMs: number;
  degradedBufferFill: number;
}

export interface Derived {
  health: SourceHealth;
  reason?: string;
}

/** The deadman time of one agent under the rules. */
export function deadmanOf(a: Pick<HealthInput, 'intervalMs'>, rules: HealthRules): number {
  return rules.deadmanMs > 0 ? rules.deadmanMs : 3 * a.intervalMs;
}

const seconds = (ms: number): string => `${Math.round(ms / 100) / 10}s`;

/** Derives an agent's health at `now` (ms since epoch, collector clock). */
export function deriveHealth(a: HealthInput, now: number, rules: HealthRules): Derived {
  const age = now - a.lastSeen;
  const deadman = deadmanOf(a, rules);
  if (age > deadman)
    return { health: 'silent', reason: `no heartbeat for ${seconds(age)} (deadman ${seconds(deadman)})` };
  if (a.configRejected !== undefined && a.configRejected !== '')
    return { health: 'degraded', reason: `central config rejected: ${a.configRejected}` };
  if (a.status === 'degraded') return { health: 'degraded', reason: 'an output has been failing' };
  if (a.errorRate > 0)
    return { health: 'degraded', reason: `errors: ${Math.round(a.errorRate * 1000) / 1000}/s` };
  if (a.bufferFill >= rules.degradedBufferFill)
    return { health: 'degraded', reason: `output buffer ${Math.round(a.bufferFill * 100)}% full` };
  return { health: 'healthy' };
}
