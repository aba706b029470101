/**
 * "VIVA / Pipeline health": the agents' inputs, outputs and buffers, and the collectors' ingest,
 * spool, routes and destinations, from VIVA's self-metrics scraped by Prometheus.
 */
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as statetimeline from '@grafana/grafana-foundation-sdk/statetimeline';
import {
  PROMETHEUS,
  datasourceVariable,
  frame,
  prom,
  promInstant,
  series,
  single,
  valuesVariable,
} from './common.ts';

const A = 'instance=~"$agent"';
const C = 'instance=~"$collector"';
const RATE = '[$__rate_interval]';

/** The pipeline health dashboard. */
export function pipelineDashboard(): dashboard.Dashboard {
  return frame(
    'viva-pipeline',
    'VIVA / Pipeline health',
    'Throughput, errors, drops, buffers and latency of VIVA agents and collectors (self-metrics).',
  )
    .withVariable(datasourceVariable('prometheus'))
    .withVariable(
      valuesVariable('agent', 'Agent', PROMETHEUS, 'label_values(viva_input_gathered_total, instance)'),
    )
    .withVariable(
      valuesVariable(
        'collector',
        'Collector',
        PROMETHEUS,
        'label_values(viva_collector_spool_bytes, instance)',
      ),
    )
    .withRow(new dashboard.RowBuilder('Agents'))
    .withPanel(
      series('Metrics gathered', 'short', 'Metrics per second produced by each input.')
        .withTarget(
          prom(
            `sum by (instance, plugin) (rate(viva_input_gathered_total{${A}}${RATE}))`,
            '{{instance}} {{plugin}}',
          ),
        )
        .span(8)
        .height(8),
    )
    .withPanel(
      series('Metrics written', 'short', 'Metrics per second each output delivered.')
        .withTarget(
          prom(
            `sum by (instance, plugin, alias) (rate(viva_output_written_total{${A}}${RATE}))`,
            '{{instance}} {{plugin}} {{alias}}',
          ),
        )
        .span(8)
        .height(8),
    )
    .withPanel(
      series('Output errors', 'short', 'Failed writes per second, by output and kind (retryable, permanent).')
        .withTarget(
          prom(
            `sum by (instance, plugin, alias, kind) (rate(viva_output_errors_total{${A}}${RATE}))`,
            '{{instance}} {{plugin}} {{alias}} {{kind}}',
          ),
        )
        .span(8)
        .height(8),
    )
    .withPanel(
      series('Buffer fill', 'percentunit', 'Metrics waiting in each output buffer, as a share of its limit.')
        .withTarget(
          prom(
            `max by (instance, plugin, alias) (viva_output_buffer_size{${A}} / viva_output_buffer_limit{${A}})`,
            '{{instance}} {{plugin}} {{alias}}',
          ),
        )
        .max(1)
        .span(8)
        .height(8),
    )
    .withPanel(
      series('Metrics dropped', 'short', 'Metrics per second an output dropped, by reason.')
        .withTarget(
          prom(
            `sum by (instance, plugin, alias, reason) (rate(viva_output_dropped_total{${A}}${RATE}))`,
            '{{instance}} {{plugin}} {{alias}} {{reason}}',
          ),
        )
        .span(8)
        .height(8),
    )
    .withPanel(
      series('Pipeline latency', 's', 'Time from ingest to written, p50 and p99 per agent.')
        .withTarget(
          prom(
            `histogram_quantile(0.99, sum by (le, instance) (rate(viva_pipeline_latency_seconds_bucket{${A}}${RATE})))`,
            '{{instance}} p99',
            'A',
          ),
        )
        .withTarget(
          prom(
            `histogram_quantile(0.5, sum by (le, instance) (rate(viva_pipeline_latency_seconds_bucket{${A}}${RATE})))`,
            '{{instance}} p50',
            'B',
          ),
        )
        .span(8)
        .height(8),
    )
    .withPanel(
      series('Processors', 'short', 'Metrics per second into and out of each processor.')
        .withTarget(
          prom(
            `sum by (instance, plugin) (rate(viva_processor_in_total{${A}}${RATE}))`,
            '{{instance}} {{plugin}} in',
            'A',
          ),
        )
        .withTarget(
          prom(
            `sum by (instance, plugin) (rate(viva_processor_out_total{${A}}${RATE}))`,
            '{{instance}} {{plugin}} out',
            'B',
          ),
        )
        .span(8)
        .height(8),
    )
    .withPanel(
      series(
        'Event-loop delay',
        's',
        'p99 of the event-loop delay of each VIVA process: a stalled loop delays everything.',
      )
        .withTarget(
          prom(`max by (instance) (viva_process_event_loop_delay_p99_seconds{${A}})`, '{{instance}}'),
        )
        .span(8)
        .height(8),
    )
    .withPanel(
      series('Heartbeats sent', 'short', 'Heartbeats per second from each agent to its collector, by result.')
        .withTarget(
          prom(
            `sum by (instance, result) (rate(viva_fleet_heartbeats_sent_total{${A}}${RATE}))`,
            '{{instance}} {{result}}',
          ),
        )
        .span(8)
        .height(8),
    )
    .withRow(new dashboard.RowBuilder('Collectors'))
    .withPanel(
      single('Spool', 'bytes', 'Bytes in the durable spool of each collector.')
        .withTarget(promInstant(`sum(viva_collector_spool_bytes{${C}})`))
        .span(6)
        .height(4),
    )
    .withPanel(
      single(
        'Spool full',
        'bool_yes_no',
        'Whether a collector refuses batches (429) because its spool is full.',
        1,
        1,
      )
        .withTarget(promInstant(`max(viva_collector_spool_full{${C}})`))
        .span(6)
        .height(4),
    )
    .withPanel(
      single(
        'Oldest undelivered',
        's',
        'Age of the oldest spooled record a destination has not delivered yet.',
        60,
        300,
      )
        .withTarget(promInstant(`max(viva_collector_destination_age_seconds{${C}})`))
        .span(6)
        .height(4),
    )
    .withPanel(
      single('Destinations down', 'none', 'Destinations whose every output is failing.', 1, 1)
        .withTarget(promInstant(`sum(1 - viva_collector_destination_up{${C}})`))
        .span(6)
        .height(4),
    )
    .withPanel(
      series('Ingest', 'short', 'Metrics per second the collectors accept from agents.')
        .withTarget(
          prom(`sum by (instance) (rate(viva_collector_ingest_metrics_total{${C}}${RATE}))`, '{{instance}}'),
        )
        .span(8)
        .height(8),
    )
    .withPanel(
      series('Ack latency', 's', 'p99 time from a batch received to its 204 (durably spooled).')
        .withTarget(
          prom(
            `histogram_quantile(0.99, sum by (le, instance) (rate(viva_collector_ingest_ack_latency_bucket{${C}}${RATE})))`,
            '{{instance}} p99',
          ),
        )
        .span(8)
        .height(8),
    )
    .withPanel(
      series('Spool size', 'bytes', 'Bytes in each collector spool; growing means destinations fall behind.')
        .withTarget(prom(`sum by (instance) (viva_collector_spool_bytes{${C}})`, '{{instance}}'))
        .span(8)
        .height(8),
    )
    .withPanel(
      series('Delivered per destination', 'short', 'Metrics per second each destination output delivered.')
        .withTarget(
          prom(
            `sum by (destination, output) (rate(viva_collector_destination_metrics_total{${C}}${RATE}))`,
            '{{destination}} {{output}}',
          ),
        )
        .span(8)
        .height(8),
    )
    .withPanel(
      series('Destination write failures', 'short', 'Failed writes per second per destination output.')
        .withTarget(
          prom(
            `sum by (destination, output) (rate(viva_collector_destination_write_failures_total{${C}}${RATE}))`,
            '{{destination}} {{output}}',
          ),
        )
        .span(8)
        .height(8),
    )
    .withPanel(
      series('Destination lag', 'short', 'Spooled records each destination has yet to deliver.')
        .withTarget(
          prom(`max by (destination) (viva_collector_destination_lag_records{${C}})`, '{{destination}}'),
        )
        .span(8)
        .height(8),
    )
    .withPanel(
      new statetimeline.PanelBuilder()
        .title('Breakers')
        .description('Circuit breaker of each destination output: closed, half-open or open.')
        .mappings([
          {
            type: dashboard.MappingType.ValueToText,
            options: {
              '0': { text: 'closed', color: 'green', index: 0 },
              '1': { text: 'half-open', color: 'orange', index: 1 },
              '2': { text: 'open', color: 'red', index: 2 },
            },
          },
        ])
        .withTarget(
          prom(
            `max by (destination, output) (viva_collector_breaker_state{${C}})`,
            '{{destination}} {{output}}',
          ),
        )
        .span(24)
        .height(6),
    )
    .build();
}
