/**
 * What the dashboard learns from the metrics the destinations deliver: the end-to-end latency,
 * the alerts the alert processor emits (`alert` metrics, on the agents or on a collector route)
 * and the anomalies the anomaly processor flags (`anomaly` events, or `F_anomaly = true` fields).
 * Everything is bounded: the alerts by key (at most MAX_ALERTS, the oldest resolved go first),
 * the anomalies in a ring of the last MAX_ANOMALIES.
 */
import type { Metric } from '../../core/model/metric/metric.ts';
import { LatencyWindow } from './latency.ts';

export const MAX_ALERTS = 200;
export const MAX_ANOMALIES = 50;
/** Resolved alerts stay listed this long, so a short-lived one is still seen. */
const RESOLVED_KEPT_MS = 5 * 60_000;

/** One alert as its last notification described it. */
export interface AlertEntry {
  key: string;
  alertname: string;
  severity: string;
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  value: number | null;
  startsAt: number | null;
  /** Collector time of the last notification. */
  seenAt: number;
  summary?: string;
}

/** One flagged value. */
export interface AnomalyEntry {
  at: number; // the metric's time
  measurement: string;
  field: string;
  tags: Record<string, string>;
  score: number | null;
  value: number | null;
  reason?: string;
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'bigint' ? Number(v) : null;
}

function tagsKey(tags: Record<string, string>): string {
  return Object.keys(tags)
    .sort()
    .map((k) => `${k}=${tags[k]}`)
    .join(',');
}

/** The delivery tap: `observe` is called with each chunk an output took. */
export class DeliveryTap {
  readonly latency = new LatencyWindow(10);
  private readonly alerts = new Map<string, AlertEntry>();
  private readonly anomalyRing: (AnomalyEntry | undefined)[] = new Array<AnomalyEntry | undefined>(
    MAX_ANOMALIES,
  );
  private anomalyNext = 0;
  /** Keys of the anomalies in the ring, so a fan-out to two destinations lists one once. */
  private readonly anomalyKeys = new Set<string>();
  private readonly ringKeys: (string | undefined)[] = new Array<string | undefined>(MAX_ANOMALIES);
  private readonly now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  /** Records a chunk of delivered metrics. */
  observe(metrics: readonly Metric[]): void {
    const now = this.now();
    this.latency.recordBatch(metrics, now);
    for (const m of metrics) {
      if (m.name === 'alert') this.alert(m, now);
      else if (m.name === 'anomaly') this.anomaly(m, m.tags.measurement ?? '', m.tags.field ?? '', 'score');
      else
        for (const k in m.fields)
          if (m.fields[k] === true && k.endsWith('_anomaly'))
            this.anomaly(m, m.name, k.slice(0, -'_anomaly'.length), `${k}_score`);
    }
  }

  private alert(m: Metric, now: number): void {
    const { alertname = '', severity = '', ...labels } = m.tags;
    const key = `${alertname}|${tagsKey(labels)}`;
    const status = m.fields.status === 'resolved' ? 'resolved' : 'firing';
    const summary = m.fields.annotation_summary;
    this.alerts.delete(key); // re-inserted: the Map's order is the order of the last notification
    this.alerts.set(key, {
      key,
      alertname,
      severity,
      status,
      labels,
      value: num(m.fields.value),
      startsAt: num(m.fields.starts_at),
      seenAt: now,
      ...(typeof summary === 'string' ? { summary } : {}),
    });
    if (this.alerts.size > MAX_ALERTS) this.trimAlerts(now);
  }

  private trimAlerts(now: number): void {
    for (const [k, a] of this.alerts) {
      if (this.alerts.size <= MAX_ALERTS) return;
      if (a.status === 'resolved' || now - a.seenAt > RESOLVED_KEPT_MS) this.alerts.delete(k);
    }
    // Still too many firing: the least recently notified go.
    for (const k of this.alerts.keys()) {
      if (this.alerts.size <= MAX_ALERTS) return;
      this.alerts.delete(k);
    }
  }

  private anomaly(m: Metric, measurement: string, field: string, scoreKey: string): void {
    const tags = { ...m.tags };
    delete tags.measurement;
    delete tags.field;
    const key = `${measurement}|${field}|${tagsKey(tags)}|${m.timeMs}`;
    if (this.anomalyKeys.has(key)) return;
    const i = this.anomalyNext;
    const old = this.ringKeys[i];
    if (old !== undefined) this.anomalyKeys.delete(old);
    const reason = m.name === 'anomaly' ? m.fields.reason : m.fields[`${field}_anomaly_reason`];
    this.anomalyRing[i] = {
      at: m.timeMs,
      measurement,
      field,
      tags,
      score: num(m.fields[scoreKey]),
      value: num(m.name === 'anomaly' ? m.fields.value : m.fields[field]),
      ...(typeof reason === 'string' ? { reason } : {}),
    };
    this.ringKeys[i] = key;
    this.anomalyKeys.add(key);
    this.anomalyNext = (i + 1) % MAX_ANOMALIES;
  }

  /** Firing alerts first (critical before warning before info), then the recently resolved. */
  activeAlerts(): AlertEntry[] {
    const now = this.now();
    const rank: Record<string, number> = { critical: 0, warning: 1, info: 2 };
    return [...this.alerts.values()]
      .filter((a) => a.status === 'firing' || now - a.seenAt <= RESOLVED_KEPT_MS)
      .sort(
        (a, b) =>
          (a.status === 'firing' ? 0 : 1) - (b.status === 'firing' ? 0 : 1) ||
          (rank[a.severity] ?? 3) - (rank[b.severity] ?? 3) ||
          b.seenAt - a.seenAt,
      );
  }

  /** The last anomalies, newest first. */
  recentAnomalies(): AnomalyEntry[] {
    const out: AnomalyEntry[] = [];
    for (let k = 1; k <= MAX_ANOMALIES; k++) {
      const a = this.anomalyRing[(this.anomalyNext - k + MAX_ANOMALIES) % MAX_ANOMALIES];
      if (a !== undefined) out.push(a);
    }
    return out;
  }
}
