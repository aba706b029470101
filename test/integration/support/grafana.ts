/**
 * Runs the queries of VIVA's Grafana dashboards the way Grafana would: template variables are
 * resolved with their own queries (label_values, SHOW TAG VALUES), macros expanded by
 * conf/grafana/src/macros.ts, then PromQL goes to Prometheus's HTTP API and InfluxQL to /query.
 */
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { expandQuery, type MacroContext } from '../../../conf/grafana/src/macros.ts';
import type { PanelTarget } from '../../../conf/grafana/src/targets.ts';

/** Where the queries go. */
export interface Backends {
  prometheusUrl: string;
  influxUrl: string;
  influxDb: string;
}

interface PromResult {
  metric: Record<string, string>;
  value?: [number, string];
  values?: [number, string][];
}

async function promApi(url: URL): Promise<unknown> {
  const res = await fetch(url);
  const body = (await res.json()) as { status: string; data?: unknown; error?: string };
  if (body.status !== 'success') throw new Error(`${url.pathname}: ${body.error ?? res.status}`);
  return body.data;
}

/** Runs a PromQL query (range or instant); resolves with its series. */
export async function runPromQL(
  b: Backends,
  query: string,
  ctx: MacroContext,
  instant: boolean,
): Promise<PromResult[]> {
  const url = new URL(instant ? '/api/v1/query' : '/api/v1/query_range', b.prometheusUrl);
  url.searchParams.set('query', query);
  if (instant) url.searchParams.set('time', String(ctx.to / 1000));
  else {
    url.searchParams.set('start', String(ctx.from / 1000));
    url.searchParams.set('end', String(ctx.to / 1000));
    url.searchParams.set('step', String(ctx.intervalMs / 1000));
  }
  const data = (await promApi(url)) as { result: PromResult[] };
  return data.result;
}

/** Series of an InfluxQL result. */
export interface InfluxSeries {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
}

/** Runs InfluxQL against the test database; resolves with its series. */
export async function runInfluxQL(b: Backends, query: string): Promise<InfluxSeries[]> {
  const url = new URL('/query', b.influxUrl);
  url.searchParams.set('db', b.influxDb);
  url.searchParams.set('epoch', 'ms');
  url.searchParams.set('q', query);
  const res = await fetch(url, { method: 'POST' });
  const body = (await res.json()) as {
    results?: { series?: InfluxSeries[]; error?: string }[];
    error?: string;
  };
  const r = body.results?.[0];
  if (body.error !== undefined || r?.error !== undefined)
    throw new Error(`${query}: ${body.error ?? r?.error}`);
  return r?.series ?? [];
}

/** Whether a query result holds data a panel would draw: a finite number or some text. */
export function hasData(result: PromResult[] | InfluxSeries[]): boolean {
  const usable = (v: unknown): boolean =>
    (typeof v === 'number' && Number.isFinite(v)) ||
    (typeof v === 'string' && v !== '' && (Number.isFinite(Number(v)) || !/^[+-]?(NaN|Inf)$/.test(v))) ||
    typeof v === 'boolean';
  return result.some((s) => {
    if ('columns' in s) return s.values.some((row) => row.slice(1).some(usable));
    const samples = s.values ?? (s.value === undefined ? [] : [s.value]);
    return samples.some(([, v]) => usable(v));
  });
}

/** The values of a dashboard's query variable, from its own query (what "All" selects). */
export async function variableValues(
  b: Backends,
  v: dashboard.VariableModel,
  ctx: MacroContext,
): Promise<string[]> {
  const query = typeof v.query === 'string' ? v.query : '';
  if (v.datasource?.type === 'prometheus') {
    const m = /^label_values\((.+),\s*(\w+)\)$/.exec(query);
    if (m === null) throw new Error(`variable ${v.name}: unsupported Prometheus variable query ${query}`);
    const url = new URL(`/api/v1/label/${m[2]}/values`, b.prometheusUrl);
    url.searchParams.set('match[]', m[1]);
    url.searchParams.set('start', String(ctx.from / 1000));
    url.searchParams.set('end', String(ctx.to / 1000));
    return (await promApi(url)) as string[];
  }
  const series = await runInfluxQL(b, expandQuery(query, 'influxdb', ctx));
  return series.flatMap((s) => s.values.map((row) => String(row[s.columns.indexOf('value')])));
}

/** Runs one panel target with its macros and variables expanded. */
export async function runTarget(
  b: Backends,
  t: PanelTarget,
  ctx: MacroContext,
): Promise<{ expanded: string; data: boolean }> {
  const expanded = expandQuery(t.query, t.language, ctx);
  const result =
    t.language === 'prometheus'
      ? await runPromQL(b, expanded, ctx, t.instant)
      : await runInfluxQL(b, expanded);
  return { expanded, data: hasData(result) };
}
