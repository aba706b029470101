/**
 * One dashboard frame: what the page shows at one instant, computed from the collector's
 * self-metrics (counter deltas over the time since the previous frame), its health, the delivery
 * tap (latency, alerts, anomalies) and the fleet registry. Rates are per second.
 */
import type { Metric } from '../../core/model/metric/metric.ts';
import type { CollectorHealth } from '../collector.ts';
import type { SourceHealth } from '../fleet/types.ts';
import type { AlertEntry, AnomalyEntry } from './tap.ts';

export interface RouteRate {
  route: string;
  destination: string;
  rate: number;
}

export interface DestinationView {
  name: string;
  state: 'ok' | 'failover' | 'down';
  rate: number;
  failureRate: number;
  lagRecords: number;
  ageSeconds: number;
  outputs: { output: string; breaker: string; rate: number; lastError?: string }[];
}

export interface Frame {
  /** Frame time, ms since the epoch (the push loop's clock). */
  t: number;
  status: CollectorHealth['status'];
  rates: { in: number; out: number; errors: number; drops: number };
  /** What the error and drop rates are made of, per second. */
  breakdown: Record<string, number>;
  latency: { p50: number | null; p99: number | null };
  routes: RouteRate[];
  destinations: DestinationView[];
  spool: { bytes: number; maxBytes: number; fill: number; full: boolean };
  alerts: AlertEntry[];
  anomalies: AnomalyEntry[];
  fleet: Record<SourceHealth, number> | null;
}

/** Counter totals by name and attribute key, from a telemetry snapshot. */
export type Totals = Map<string, number>;

const COUNTERS = new Set([
  'viva_collector_ingest_metrics',
  'viva_collector_ingest_rejected',
  'viva_collector_destination_metrics',
  'viva_collector_destination_write_failures',
  'viva_collector_route_metrics',
  'viva_collector_route_dropped',
  'viva_collector_unrouted',
  'viva_collector_dead_letters',
  'viva_collector_spool_corrupt_records',
]);

/** The counters the dashboard reads, keyed `name` (sum) and `name|attr=value,...` (one series). */
export function totals(snapshot: readonly Metric[]): Totals {
  const out: Totals = new Map();
  const add = (k: string, v: number): void => void out.set(k, (out.get(k) ?? 0) + v);
  for (const m of snapshot) {
    if (!COUNTERS.has(m.name)) continue;
    const v = m.fields.value;
    if (typeof v !== 'number') continue;
    add(m.name, v);
    const t = m.tags;
    if (m.name === 'viva_collector_route_metrics') add(`${m.name}|${t.route}|${t.destination}`, v);
    else if (
      m.name === 'viva_collector_destination_metrics' ||
      m.name === 'viva_collector_destination_write_failures'
    ) {
      add(`${m.name}|${t.destination}`, v);
      add(`${m.name}|${t.destination}|${t.output}`, v);
    }
  }
  return out;
}

/** Per-second rate of one key between two totals (0 on a counter reset or a first frame). */
export function rate(prev: Totals | null, cur: Totals, key: string, dtSeconds: number): number {
  if (prev === null || dtSeconds <= 0) return 0;
  const d = (cur.get(key) ?? 0) - (prev.get(key) ?? 0);
  return d > 0 ? Math.round((d / dtSeconds) * 10) / 10 : 0;
}

/** Builds the route and destination views of a frame. */
export function pipelineViews(
  health: CollectorHealth,
  prev: Totals | null,
  cur: Totals,
  dt: number,
): { routes: RouteRate[]; destinations: DestinationView[] } {
  const routes: RouteRate[] = [];
  for (const k of cur.keys()) {
    if (!k.startsWith('viva_collector_route_metrics|')) continue;
    const [, route, destination] = k.split('|');
    routes.push({ route, destination, rate: rate(prev, cur, k, dt) });
  }
  routes.sort((a, b) => a.route.localeCompare(b.route) || a.destination.localeCompare(b.destination));
  const destinations = health.destinations.map((d) => ({
    name: d.destination,
    state: d.state,
    rate: rate(prev, cur, `viva_collector_destination_metrics|${d.destination}`, dt),
    failureRate: rate(prev, cur, `viva_collector_destination_write_failures|${d.destination}`, dt),
    lagRecords: d.lag_records,
    ageSeconds: Math.round(d.age_seconds * 10) / 10,
    outputs: d.outputs.map((o) => ({
      output: o.output,
      breaker: o.breaker,
      rate: rate(prev, cur, `viva_collector_destination_metrics|${d.destination}|${o.output}`, dt),
      ...(o.lastError !== undefined ? { lastError: o.lastError } : {}),
    })),
  }));
  return { routes, destinations };
}

/** The error and drop rates and what they are made of. */
export function errorRates(
  prev: Totals | null,
  cur: Totals,
  dt: number,
): { errors: number; drops: number; breakdown: Record<string, number> } {
  const breakdown = {
    ingest_rejected: rate(prev, cur, 'viva_collector_ingest_rejected', dt),
    write_failures: rate(prev, cur, 'viva_collector_destination_write_failures', dt),
    unrouted: rate(prev, cur, 'viva_collector_unrouted', dt),
    route_dropped: rate(prev, cur, 'viva_collector_route_dropped', dt),
    dead_letters: rate(prev, cur, 'viva_collector_dead_letters', dt),
    spool_corrupt: rate(prev, cur, 'viva_collector_spool_corrupt_records', dt),
  };
  const r1 = (n: number): number => Math.round(n * 10) / 10;
  return {
    errors: r1(breakdown.ingest_rejected + breakdown.write_failures),
    drops: r1(
      breakdown.unrouted + breakdown.route_dropped + breakdown.dead_letters + breakdown.spool_corrupt,
    ),
    breakdown,
  };
}
