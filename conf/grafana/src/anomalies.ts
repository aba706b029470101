/**
 * "VIVA / Anomalies and alerts": the events of the anomaly processor (mode = "events") and the
 * alert processor as written to InfluxDB, with their counters from Prometheus.
 */
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import {
  INFLUXDB,
  PROMETHEUS,
  datasourceVariable,
  frame,
  influx,
  prom,
  series,
  single,
  tabular,
  valuesVariable,
} from './common.ts';

const H = `"host" =~ /^$host$/`;
const A = 'instance=~"$agent"';

/** The anomalies and alerts dashboard. */
export function anomaliesDashboard(): dashboard.Dashboard {
  return frame(
    'viva-anomalies',
    'VIVA / Anomalies and alerts',
    'Anomalies flagged by the anomaly processor and notifications of the alert processor.',
  )
    .withVariable(datasourceVariable('influxdb'))
    .withVariable(datasourceVariable('prometheus'))
    .withVariable(
      valuesVariable('host', 'Host', INFLUXDB, 'SHOW TAG VALUES FROM "anomaly" WITH KEY = "host"'),
    )
    .withVariable(
      valuesVariable(
        'agent',
        'Agent',
        PROMETHEUS,
        'label_values(viva_processor_anomaly_anomalies_total, instance)',
      ),
    )
    .annotation(
      new dashboard.AnnotationQueryBuilder()
        .name('Anomalies')
        .datasource(INFLUXDB)
        .enable(true)
        .iconColor('red')
        .target(
          influx(`SELECT "reason" FROM "anomaly" WHERE ${H} AND $timeFilter`, {
            refId: 'Anomalies',
            format: 'table',
          }),
        ),
    )
    .withRow(new dashboard.RowBuilder('Anomalies'))
    .withPanel(
      single('Anomalies', 'none', 'Anomalies flagged over the dashboard range.', 1, 10)
        .withTarget(influx(`SELECT count("score") FROM "anomaly" WHERE ${H} AND $timeFilter`))
        .span(6)
        .height(4),
    )
    .withPanel(
      single('Alerts fired', 'none', 'Firing notifications over the dashboard range.', 1, 10)
        .withTarget(
          influx(`SELECT count("value") FROM "alert" WHERE "status" = 'firing' AND ${H} AND $timeFilter`),
        )
        .span(6)
        .height(4),
    )
    .withPanel(
      single('Anomaly flags/s', 'short', 'Flags per second, all anomaly processors of the selected agents.')
        .withTarget(prom(`sum(rate(viva_processor_anomaly_anomalies_total{${A}}[$__rate_interval]))`))
        .span(6)
        .height(4),
    )
    .withPanel(
      single('Flapping alerts', 'none', 'Alerts whose notifications are held because they flap.', 1)
        .withTarget(prom(`sum(viva_processor_alert_flapping{${A}})`))
        // The gauge exists only where flap detection is on (flap_threshold > 0).
        .noValue('0')
        .span(6)
        .height(4),
    )
    .withPanel(
      series('Anomalies by series', 'none', 'Flags per interval, by measurement and field.')
        .withTarget(
          influx(
            `SELECT count("score") FROM "anomaly" WHERE ${H} AND $timeFilter GROUP BY time($__interval), "measurement", "field" fill(0)`,
            { alias: '$tag_measurement.$tag_field' },
          ),
        )
        .span(12)
        .height(8),
    )
    .withPanel(
      series('Anomaly score', 'percentunit', 'Highest score per interval (0 to 1; flagged at the threshold).')
        .withTarget(
          influx(
            `SELECT max("score") FROM "anomaly" WHERE ${H} AND $timeFilter GROUP BY time($__interval), "host", "measurement" fill(null)`,
            { alias: '$tag_host $tag_measurement' },
          ),
        )
        .span(12)
        .height(8),
    )
    .withPanel(
      tabular('Recent anomalies', 'The latest 50 flags with what was expected and why.')
        .withTarget(
          influx(
            `SELECT "host", "measurement", "field", "detector", "value", "expected", "score", "reason" FROM "anomaly" WHERE ${H} AND $timeFilter ORDER BY time DESC LIMIT 50`,
            { format: 'table' },
          ),
        )
        .span(24)
        .height(10),
    )
    .withRow(new dashboard.RowBuilder('Alerts'))
    .withPanel(
      series('Notifications', 'none', 'Alert notifications per interval, by severity and status.')
        .withTarget(
          influx(
            `SELECT count("value") FROM "alert" WHERE ${H} AND $timeFilter GROUP BY time($__interval), "severity", "status" fill(0)`,
            { alias: '$tag_severity $tag_status' },
          ),
        )
        .span(12)
        .height(8),
    )
    .withPanel(
      series('Notifications sent', 'short', 'Notifications per second from the alert processors, by status.')
        .withTarget(
          prom(
            `sum by (instance, status) (rate(viva_processor_alert_notifications_total{${A}}[$__rate_interval]))`,
            '{{instance}} {{status}}',
          ),
        )
        .span(12)
        .height(8),
    )
    .withPanel(
      tabular(
        'Recent alert notifications',
        'The latest 50 notifications: firing, resolved, severity and value.',
      )
        .withTarget(
          influx(
            `SELECT "alertname", "severity", "status", "host", "value" FROM "alert" WHERE ${H} AND $timeFilter ORDER BY time DESC LIMIT 50`,
            { format: 'table' },
          ),
        )
        .span(24)
        .height(10),
    )
    .build();
}
