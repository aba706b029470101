/**
 * Every query of a dashboard in Grafana's JSON model (panels, panels in rows, annotations), with
 * the datasource language it is written in, for the tests that run them.
 */
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import type { QueryLanguage } from './macros.ts';

/** One query of a dashboard. */
export interface PanelTarget {
  panel: string;
  refId: string;
  language: QueryLanguage;
  query: string;
  /** Prometheus: evaluated once at the end of the range rather than over it. */
  instant: boolean;
}

interface RawTarget {
  refId?: string;
  datasource?: { type?: string; uid?: string };
  expr?: string;
  query?: string;
  instant?: boolean;
  range?: boolean;
}

function toTarget(panel: string, t: RawTarget): PanelTarget {
  const type = t.datasource?.type;
  if (type !== 'prometheus' && type !== 'influxdb')
    throw new Error(`${panel}: datasource type ${String(type)}`);
  if (t.datasource?.uid !== `\${${type}}`)
    throw new Error(`${panel}: datasource uid ${String(t.datasource?.uid)}`);
  return {
    panel,
    refId: t.refId ?? 'A',
    language: type,
    query: (type === 'prometheus' ? t.expr : t.query) ?? '',
    instant: t.instant === true && t.range !== true,
  };
}

/** The queries of every panel (also inside rows) and annotation of a dashboard. */
export function panelTargets(d: dashboard.Dashboard): PanelTarget[] {
  const out: PanelTarget[] = [];
  const visit = (p: { title?: string; targets?: unknown[]; panels?: unknown[] }): void => {
    for (const t of p.targets ?? []) out.push(toTarget(p.title ?? '', t as RawTarget));
    for (const inner of p.panels ?? []) visit(inner as typeof p);
  };
  for (const p of d.panels ?? []) visit(p as Parameters<typeof visit>[0]);
  for (const a of d.annotations?.list ?? [])
    if (a.target !== undefined) out.push(toTarget(`annotation ${a.name}`, a.target as RawTarget));
  return out;
}
