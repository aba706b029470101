/**
 * Alert events (the alert processor's `alert` metrics) as Alertmanager v2 alerts: tags become
 * labels (names made valid, empty values left out), `annotation_*` fields annotations,
 * `starts_at`/`ends_at` the times. A firing alert has no endsAt (or one `firing_ends_after`
 * ahead); a resolved one ends when it resolved. Within a batch only the latest state of each
 * label set is sent, and a severity change also resolves the alert under its old severity.
 */
import type { Metric } from '../../../core/model/metric/metric.ts';

/** One alert as POST /api/v2/alerts takes it. */
export interface PostableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt?: string;
  generatorURL?: string;
}

/** How alert events become alerts. */
export interface AlertOptions {
  externalLabels: Record<string, string>;
  generatorUrl: string | undefined;
  valueAnnotation: string;
  firingEndsAfterMs: number;
}

const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A valid Alertmanager label or annotation name: other characters become `_`. */
export function labelName(key: string): string {
  if (LABEL_NAME.test(key)) return key;
  const s = key.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[0-9]/.test(s) || s === '' ? '_' + s : s;
}

/** True for a metric the alert processor emitted. */
export function isAlertEvent(m: Metric): boolean {
  const s = m.fields.status;
  return m.name === 'alert' && (s === 'firing' || s === 'resolved') && m.tags.alertname !== undefined;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** Replaces `{{label}}` by label values. */
function fill(template: string, labels: Record<string, string>): string {
  return template.replace(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g, (_, k: string) => labels[k] ?? '');
}

function labelsOf(m: Metric, external: Record<string, string>): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const k in m.tags) if (m.tags[k] !== '') labels[labelName(k)] = m.tags[k];
  for (const k in external) if (!(k in labels) && external[k] !== '') labels[k] = external[k];
  return labels;
}

function annotationsOf(m: Metric, valueAnnotation: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k in m.fields)
    if (k.startsWith('annotation_')) out[labelName(k.slice(11))] = String(m.fields[k]);
  if (valueAnnotation !== '' && m.fields.value !== undefined)
    out[labelName(valueAnnotation)] = String(m.fields.value);
  return out;
}

const num = (v: unknown, fallback: number): number =>
  typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : fallback;

/** Identity of an alert in Alertmanager: its label set. */
function identity(labels: Record<string, string>): string {
  return JSON.stringify(
    Object.keys(labels)
      .sort()
      .map((k) => [k, labels[k]]),
  );
}

/** What a batch of events turns into. */
export interface Alerts {
  alerts: PostableAlert[];
  /** How many of the alerts are resolved ones. */
  resolved: number;
  /** Metrics that are not alert events. */
  ignored: number;
}

/** The alerts to post for a batch. */
export function toAlerts(metrics: readonly Metric[], o: AlertOptions, nowMs: number): Alerts {
  const latest = new Map<string, [PostableAlert, boolean]>();
  let ignored = 0;
  const put = (a: PostableAlert, resolved: boolean): void => {
    const id = identity(a.labels);
    latest.delete(id);
    latest.set(id, [a, resolved]);
  };
  for (const m of metrics) {
    if (!isAlertEvent(m)) {
      ignored++;
      continue;
    }
    const labels = labelsOf(m, o.externalLabels);
    const startsAt = num(m.fields.starts_at, m.timeMs);
    const a: PostableAlert = {
      labels,
      annotations: annotationsOf(m, o.valueAnnotation),
      startsAt: iso(startsAt),
    };
    if (m.fields.status === 'resolved') a.endsAt = iso(Math.max(num(m.fields.ends_at, m.timeMs), startsAt));
    else if (o.firingEndsAfterMs > 0) a.endsAt = iso(Math.max(nowMs, startsAt) + o.firingEndsAfterMs);
    if (o.generatorUrl !== undefined) a.generatorURL = fill(o.generatorUrl, labels);
    const prev = m.fields.previous_severity;
    if (typeof prev === 'string' && prev !== '' && prev !== labels.severity)
      put({ ...a, labels: { ...labels, severity: prev }, endsAt: iso(Math.max(m.timeMs, startsAt)) }, true);
    put(a, m.fields.status === 'resolved');
  }
  const alerts: PostableAlert[] = [];
  let resolved = 0;
  for (const [a, r] of latest.values()) {
    alerts.push(a);
    if (r) resolved++;
  }
  return { alerts, resolved, ignored };
}
