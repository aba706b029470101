/**
 * Building blocks of VIVA's Grafana dashboards: the two datasource variables, query builders for
 * PromQL and raw InfluxQL targets, and panel helpers with the defaults every dashboard shares.
 */
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import type * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';

/** The datasource a panel reads, through the dashboard's variable of that name. */
export const PROMETHEUS: common.DataSourceRef = { type: 'prometheus', uid: '${prometheus}' };
export const INFLUXDB: common.DataSourceRef = { type: 'influxdb', uid: '${influxdb}' };

/** The uids of the provisioned datasources (provisioning/datasources/viva.yaml). */
export const PROVISIONED = { prometheus: 'viva-prometheus', influxdb: 'viva-influxdb' };

/** A datasource variable (`$prometheus` or `$influxdb`) defaulting to the provisioned one. */
export function datasourceVariable(kind: 'prometheus' | 'influxdb'): dashboard.DatasourceVariableBuilder {
  const label = kind === 'prometheus' ? 'Prometheus' : 'InfluxDB';
  return new dashboard.DatasourceVariableBuilder(kind)
    .label(label)
    .type(kind)
    .current({ text: `VIVA ${label}`, value: PROVISIONED[kind] });
}

/** A multi-value variable of label (Prometheus) or tag (InfluxDB) values, "All" by default. */
export function valuesVariable(
  name: string,
  label: string,
  ds: common.DataSourceRef,
  query: string,
): dashboard.QueryVariableBuilder {
  return new dashboard.QueryVariableBuilder(name)
    .label(label)
    .datasource(ds)
    .query(query)
    .definition(query)
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .current({ text: 'All', value: '$__all' });
}

/** A PromQL target over the `$prometheus` datasource. */
export function prom(expr: string, legend = '', refId = 'A'): prometheus.DataqueryBuilder {
  return new prometheus.DataqueryBuilder()
    .datasource(PROMETHEUS)
    .expr(expr)
    .legendFormat(legend === '' ? '__auto' : legend)
    .range()
    .refId(refId);
}

/** A PromQL target evaluated once at the end of the range (tables, stats). */
export function promInstant(expr: string, legend = '', refId = 'A'): prometheus.DataqueryBuilder {
  return new prometheus.DataqueryBuilder()
    .datasource(PROMETHEUS)
    .expr(expr)
    .legendFormat(legend === '' ? '__auto' : legend)
    .instant()
    .format(prometheus.PromQueryFormat.Table)
    .refId(refId);
}

/** The JSON of a raw InfluxQL target, as Grafana's InfluxDB (InfluxQL) datasource stores it. */
export interface InfluxQuery extends cog.Dataquery {
  refId: string;
  datasource: common.DataSourceRef;
  query: string;
  rawQuery: true;
  resultFormat: 'time_series' | 'table';
}

/** A raw InfluxQL target over the `$influxdb` datasource (the SDK has no InfluxDB builder). */
export function influx(
  query: string,
  opts: { refId?: string; format?: 'time_series' | 'table'; alias?: string } = {},
): cog.Builder<InfluxQuery> {
  const target = {
    refId: opts.refId ?? 'A',
    datasource: INFLUXDB,
    query,
    rawQuery: true as const,
    resultFormat: opts.format ?? 'time_series',
    ...(opts.alias === undefined ? {} : { alias: opts.alias }),
  };
  return {
    build: () => ({ ...target, _implementsDataqueryVariant: () => undefined }),
  };
}

/** A time series panel. */
export function series(title: string, unit: string, description: string): timeseries.PanelBuilder {
  return new timeseries.PanelBuilder().title(title).unit(unit).description(description).fillOpacity(10);
}

/** A stat panel with green/amber/red thresholds (`warn` and `crit`; reversed when `lowIsBad`). */
export function single(
  title: string,
  unit: string,
  description: string,
  warn?: number,
  crit?: number,
): stat.PanelBuilder {
  const steps: dashboard.Threshold[] = [{ value: null, color: 'green' }];
  if (warn !== undefined) steps.push({ value: warn, color: 'orange' });
  if (crit !== undefined) steps.push({ value: crit, color: 'red' });
  return new stat.PanelBuilder()
    .title(title)
    .unit(unit)
    .description(description)
    .thresholds(new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps(steps));
}

/** A table panel. */
export function tabular(title: string, description: string): table.PanelBuilder {
  return new table.PanelBuilder().title(title).description(description);
}

/** The dashboard frame every VIVA dashboard shares: uid, tags, time range, refresh, links. */
export function frame(uid: string, title: string, description: string): dashboard.DashboardBuilder {
  return (
    new dashboard.DashboardBuilder(title)
      .uid(uid)
      .description(description)
      .tags(['viva'])
      .editable()
      .tooltip(dashboard.DashboardCursorSync.Crosshair)
      .time({ from: 'now-1h', to: 'now' })
      .refresh('30s')
      .timezone('browser')
      // Grafana's own annotations (and alert state changes), which every dashboard it creates has.
      .annotation(
        new dashboard.AnnotationQueryBuilder()
          .name('Annotations & Alerts')
          .datasource({ type: 'grafana', uid: '-- Grafana --' })
          .builtIn(1)
          .type('dashboard')
          .enable(true)
          .hide(true)
          .iconColor('rgba(0, 211, 255, 1)'),
      )
      .link(
        new dashboard.DashboardLinkBuilder('VIVA dashboards')
          .type(dashboard.DashboardLinkType.Dashboards)
          .tags(['viva'])
          .asDropdown(true)
          .includeVars(true)
          .keepTime(true),
      )
  );
}
