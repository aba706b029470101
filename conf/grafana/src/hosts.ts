/**
 * "VIVA / Host metrics": what the host inputs (cpu, mem, disk, diskio, net, system) write to
 * InfluxDB, per host, with InfluxQL in Grafana's raw query mode.
 */
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { INFLUXDB, datasourceVariable, frame, influx, series, single, valuesVariable } from './common.ts';

const H = `"host" =~ /^$host$/`;
const BY_TIME = 'GROUP BY time($__interval), "host" fill(null)';

/** The host metrics dashboard. */
export function hostsDashboard(): dashboard.Dashboard {
  return frame(
    'viva-hosts',
    'VIVA / Host metrics',
    'CPU, memory, load, disks and network of the hosts VIVA agents run on.',
  )
    .withVariable(datasourceVariable('influxdb'))
    .withVariable(valuesVariable('host', 'Host', INFLUXDB, 'SHOW TAG VALUES FROM "system" WITH KEY = "host"'))
    .withRow(new RowBuilder('Now'))
    .withPanel(
      single('CPU busy', 'percent', 'Share of CPU time not idle, all cores, last value.', 80, 95)
        .withTarget(
          influx(
            `SELECT last("usage_idle") * -1 + 100 FROM "cpu" WHERE "cpu" = 'cpu-total' AND ${H} AND $timeFilter GROUP BY "host"`,
            { alias: '$tag_host' },
          ),
        )
        .span(6)
        .height(4),
    )
    .withPanel(
      single('Memory used', 'percent', 'Memory in use (total minus available), last value.', 80, 95)
        .withTarget(
          influx(`SELECT last("used_percent") FROM "mem" WHERE ${H} AND $timeFilter GROUP BY "host"`, {
            alias: '$tag_host',
          }),
        )
        .span(6)
        .height(4),
    )
    .withPanel(
      single('Load (1 min) per CPU', 'none', 'One-minute load average divided by the number of CPUs.', 1, 2)
        .withTarget(
          influx(
            `SELECT last("load1") / last("n_cpus") FROM "system" WHERE ${H} AND $timeFilter GROUP BY "host"`,
            { alias: '$tag_host' },
          ),
        )
        .span(6)
        .height(4),
    )
    .withPanel(
      single('Uptime', 's', 'Time since the host booted.')
        .withTarget(
          influx(`SELECT last("uptime") FROM "system" WHERE ${H} AND $timeFilter GROUP BY "host"`, {
            alias: '$tag_host',
          }),
        )
        .span(6)
        .height(4),
    )
    .withRow(new RowBuilder('CPU and memory'))
    .withPanel(
      series('CPU usage', 'percent', 'User, system and iowait shares of CPU time, all cores.')
        .withTarget(
          influx(
            `SELECT mean("usage_user") AS "user", mean("usage_system") AS "system", mean("usage_iowait") AS "iowait" FROM "cpu" WHERE "cpu" = 'cpu-total' AND ${H} AND $timeFilter ${BY_TIME}`,
            { alias: '$tag_host $col' },
          ),
        )
        .span(12)
        .height(8),
    )
    .withPanel(
      series('Memory used', 'percent', 'Memory in use as a share of the total.')
        .withTarget(
          influx(`SELECT mean("used_percent") FROM "mem" WHERE ${H} AND $timeFilter ${BY_TIME}`, {
            alias: '$tag_host',
          }),
        )
        .span(12)
        .height(8),
    )
    .withPanel(
      series('Load average', 'none', 'One, five and fifteen-minute load averages.')
        .withTarget(
          influx(
            `SELECT mean("load1") AS "load1", mean("load5") AS "load5", mean("load15") AS "load15" FROM "system" WHERE ${H} AND $timeFilter ${BY_TIME}`,
            { alias: '$tag_host $col' },
          ),
        )
        .span(24)
        .height(8),
    )
    .withRow(new RowBuilder('Disks and network'))
    .withPanel(
      series('Disk used', 'percent', 'Used share of each mounted file system.')
        .withTarget(
          influx(
            `SELECT mean("used_percent") FROM "disk" WHERE ${H} AND $timeFilter GROUP BY time($__interval), "host", "path" fill(null)`,
            { alias: '$tag_host $tag_path' },
          ),
        )
        .span(12)
        .height(8),
    )
    .withPanel(
      series('Disk I/O', 'Bps', 'Bytes read and written per second by each block device.')
        .withTarget(
          influx(
            `SELECT non_negative_derivative(mean("read_bytes"), 1s) AS "read", non_negative_derivative(mean("write_bytes"), 1s) AS "write" FROM "diskio" WHERE ${H} AND $timeFilter GROUP BY time($__interval), "host", "name" fill(null)`,
            { alias: '$tag_host $tag_name $col' },
          ),
        )
        .span(12)
        .height(8),
    )
    .withPanel(
      series('Network traffic', 'bps', 'Bits received and sent per second by each interface.')
        .withTarget(
          influx(
            `SELECT non_negative_derivative(mean("bytes_recv"), 1s) * 8 AS "in", non_negative_derivative(mean("bytes_sent"), 1s) * 8 AS "out" FROM "net" WHERE ${H} AND "interface" != 'all' AND $timeFilter GROUP BY time($__interval), "host", "interface" fill(null)`,
            { alias: '$tag_host $tag_interface $col' },
          ),
        )
        .span(12)
        .height(8),
    )
    .withPanel(
      series('Network errors and drops', 'pps', 'Receive and send errors and drops per second.')
        .withTarget(
          influx(
            `SELECT non_negative_derivative(mean("err_in"), 1s) + non_negative_derivative(mean("drop_in"), 1s) AS "in", non_negative_derivative(mean("err_out"), 1s) + non_negative_derivative(mean("drop_out"), 1s) AS "out" FROM "net" WHERE ${H} AND $timeFilter GROUP BY time($__interval), "host", "interface" fill(null)`,
            { alias: '$tag_host $tag_interface $col' },
          ),
        )
        .span(12)
        .height(8),
    )
    .build();
}
