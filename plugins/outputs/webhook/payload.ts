/**
 * Alert events (the alert processor's `alert` metrics) as the JSON Alertmanager posts to a
 * webhook receiver (version 4): the alerts of a batch grouped by `group_by` labels, one
 * notification per group with its group, common labels and common annotations. Within a batch
 * only the latest state of each label set counts, and a severity change also resolves the alert
 * under its old severity, as Alertmanager would see it.
 */
import type { Metric } from '../../../core/model/metric/metric.ts';

/** One alert of a notification. */
export interface WebhookAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  /** Go's zero time while firing, as Alertmanager sends it. */
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

/** One notification (Alertmanager webhook payload, version 4). */
export interface WebhookMessage {
  version: '4';
  groupKey: string;
  truncatedAlerts: number;
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alerts: WebhookAlert[];
}

/** How a batch is grouped into notifications. */
export interface GroupOptions {
  receiver: string;
  externalUrl: string;
  groupBy: string[];
  sendResolved: boolean;
  maxAlerts: number;
}

const ZERO_TIME = '0001-01-01T00:00:00Z';
const iso = (ms: number): string => new Date(ms).toISOString();
const num = (v: unknown, fallback: number): number =>
  typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : fallback;

const OFFSET = 14695981039346656037n;
const PRIME = 1099511628211n;
const MASK = (1n << 64n) - 1n;

/** Alertmanager's fingerprint of a label set: FNV-1a 64 over sorted names and values, 0xff-separated. */
export function fingerprint(labels: Record<string, string>): string {
  let h = OFFSET;
  const add = (b: number): void => {
    h = ((h ^ BigInt(b)) * PRIME) & MASK;
  };
  for (const k of Object.keys(labels).sort()) {
    for (const b of Buffer.from(k)) add(b);
    add(255);
    for (const b of Buffer.from(labels[k])) add(b);
    add(255);
  }
  return h.toString(16).padStart(16, '0');
}

/** The alert an event stands for, with the index of the event in the batch. */
function alertOf(m: Metric): WebhookAlert | undefined {
  const status = m.fields.status;
  if (m.name !== 'alert' || (status !== 'firing' && status !== 'resolved') || m.tags.alertname === undefined)
    return undefined;
  const labels: Record<string, string> = {};
  for (const k in m.tags) if (m.tags[k] !== '') labels[k] = m.tags[k];
  const annotations: Record<string, string> = {};
  for (const k in m.fields) if (k.startsWith('annotation_')) annotations[k.slice(11)] = String(m.fields[k]);
  const startsAt = num(m.fields.starts_at, m.timeMs);
  const endsAt = status === 'resolved' ? iso(Math.max(num(m.fields.ends_at, m.timeMs), startsAt)) : ZERO_TIME;
  return {
    status,
    labels,
    annotations,
    startsAt: iso(startsAt),
    endsAt,
    generatorURL: '',
    fingerprint: fingerprint(labels),
  };
}

/** Labels and annotations every alert shares. */
function common(
  alerts: WebhookAlert[],
  pick: (a: WebhookAlert) => Record<string, string>,
): Record<string, string> {
  const out = { ...pick(alerts[0]) };
  for (const a of alerts.slice(1)) {
    const x = pick(a);
    for (const k of Object.keys(out)) if (x[k] !== out[k]) delete out[k];
  }
  return out;
}

function groupLabelsOf(labels: Record<string, string>, by: string[]): Record<string, string> {
  if (by.includes('...')) return { ...labels };
  const out: Record<string, string> = {};
  for (const k of by) if (labels[k] !== undefined) out[k] = labels[k];
  return out;
}

const labelText = (l: Record<string, string>): string =>
  '{' +
  Object.keys(l)
    .sort()
    .map((k) => `${k}=${JSON.stringify(l[k])}`)
    .join(',') +
  '}';

/** A notification and the batch indices of the events it carries. */
export interface Group {
  message: WebhookMessage;
  indices: number[];
}

/** The notifications for a batch; metrics that are not alert events belong to none. */
export function notifications(metrics: readonly Metric[], o: GroupOptions): Group[] {
  const latest = new Map<string, { alert: WebhookAlert; index: number }>();
  const put = (alert: WebhookAlert, index: number): void => {
    latest.delete(alert.fingerprint);
    latest.set(alert.fingerprint, { alert, index });
  };
  metrics.forEach((m, index) => {
    const a = alertOf(m);
    if (a === undefined) return;
    const prev = m.fields.previous_severity;
    if (typeof prev === 'string' && prev !== '' && prev !== a.labels.severity) {
      const labels = { ...a.labels, severity: prev };
      const endsAt = iso(Math.max(m.timeMs, Date.parse(a.startsAt)));
      put({ ...a, status: 'resolved', labels, endsAt, fingerprint: fingerprint(labels) }, index);
    }
    put(a, index);
  });
  const groups = new Map<
    string,
    { labels: Record<string, string>; alerts: WebhookAlert[]; indices: number[] }
  >();
  for (const { alert, index } of latest.values()) {
    if (alert.status === 'resolved' && !o.sendResolved) continue;
    const labels = groupLabelsOf(alert.labels, o.groupBy);
    const key = labelText(labels);
    let g = groups.get(key);
    if (g === undefined) groups.set(key, (g = { labels, alerts: [], indices: [] }));
    g.alerts.push(alert);
    g.indices.push(index);
  }
  const out: Group[] = [];
  for (const [key, g] of groups) {
    const shown = o.maxAlerts > 0 ? g.alerts.slice(0, o.maxAlerts) : g.alerts;
    out.push({
      indices: g.indices,
      message: {
        version: '4',
        groupKey: `{}:${key}`,
        truncatedAlerts: g.alerts.length - shown.length,
        status: g.alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
        receiver: o.receiver,
        groupLabels: g.labels,
        commonLabels: common(g.alerts, (a) => a.labels),
        commonAnnotations: common(g.alerts, (a) => a.annotations),
        externalURL: o.externalUrl,
        alerts: shown,
      },
    });
  }
  return out;
}
