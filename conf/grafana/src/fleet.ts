/**
 * "VIVA fleet overview": source health from the collectors' fleet registry (viva_fleet_*), what
 * each agent sends, and whether Prometheus reaches every agent and collector.
 */
import * as bargauge from '@grafana/grafana-foundation-sdk/bargauge';
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import {
  PROMETHEUS,
  datasourceVariable,
  frame,
  prom,
  promInstant,
  series,
  single,
  tabular,
  valuesVariable,
} from './common.ts';

const C = 'instance=~"$collector"';

/** The fleet overview dashboard. */
export function fleetDashboard(): dashboard.Dashboard {
  return frame(
    'viva-fleet',
    'VIVA / Fleet overview',
    'Source health (healthy, degraded, silent) from the fleet registry, per-agent rates and scrape health.',
  )
    .withVariable(datasourceVariable('prometheus'))
    .withVariable(
      valuesVariable('collector', 'Collector', PROMETHEUS, 'label_values(viva_fleet_agents, instance)'),
    )
    .withVariable(
      valuesVariable(
        'agent',
        'Agent',
        PROMETHEUS,
        'label_values(viva_collector_ingest_metrics_total, agent)',
      ),
    )
    .withRow(new RowBuilder('Source health'))
    .withPanel(
      single('Healthy agents', 'none', 'Agents whose heartbeats arrive and report no trouble.')
        .withTarget(promInstant(`sum(viva_fleet_agents{${C}, health="healthy"})`))
        .span(4)
        .height(4),
    )
    .withPanel(
      single('Degraded agents', 'none', 'Agents that heartbeat but report errors or a filling buffer.', 1)
        .withTarget(promInstant(`sum(viva_fleet_agents{${C}, health="degraded"})`))
        .span(4)
        .height(4),
    )
    .withPanel(
      single(
        'Silent agents',
        'none',
        'Agents whose heartbeats stopped for longer than the deadman time.',
        1,
        1,
      )
        .withTarget(promInstant(`sum(viva_fleet_agents{${C}, health="silent"})`))
        .span(4)
        .height(4),
    )
    .withPanel(
      single('Longest silence', 's', 'The longest time any registered agent has been quiet.', 30, 60)
        .withTarget(promInstant(`max(viva_fleet_heartbeat_age_max_seconds{${C}})`))
        .span(4)
        .height(4),
    )
    .withPanel(
      single(
        'Config rejected',
        'none',
        'Agents running their previous config after refusing a central one.',
        1,
      )
        .withTarget(promInstant(`sum(viva_fleet_config_rejected_agents{${C}})`))
        .span(4)
        .height(4),
    )
    .withPanel(
      single('Heartbeats/s', 'reqps', 'Heartbeats the collectors take per second.')
        .withTarget(promInstant(`sum(rate(viva_fleet_heartbeats_total{${C}}[$__rate_interval]))`))
        .span(4)
        .height(4),
    )
    .withPanel(
      series('Agents by health', 'none', 'Registered agents by source health over time.')
        .withTarget(prom(`sum by (health) (viva_fleet_agents{${C}})`, '{{health}}'))
        .span(12)
        .height(8),
    )
    .withPanel(
      new bargauge.PanelBuilder()
        .title('Agents by heartbeat age')
        .description('Agents whose last heartbeat is at most this many seconds old (cumulative).')
        .unit('none')
        .withTarget(
          promInstant(`sum by (max_age) (viva_fleet_heartbeat_age_agents{${C}})`, '≤ {{max_age}} s'),
        )
        .span(12)
        .height(8),
    )
    .withRow(new RowBuilder('Sources'))
    .withPanel(
      series('Metrics in per agent', 'short', 'Metrics per second each agent delivers to the collectors.')
        .withTarget(
          prom(
            `sum by (agent) (rate(viva_collector_ingest_metrics_total{${C}, agent=~"$agent"}[$__rate_interval]))`,
            '{{agent}}',
          ),
        )
        .span(12)
        .height(8),
    )
    .withPanel(
      tabular('Top sources', 'The 20 agents that sent the most metrics over the dashboard range.')
        .withTarget(
          promInstant(
            `topk(20, sum by (agent) (increase(viva_collector_ingest_metrics_total{${C}, agent=~"$agent"}[$__range])))`,
            '{{agent}}',
          ),
        )
        .span(12)
        .height(8),
    )
    .withPanel(
      tabular('Scrape health', 'Whether Prometheus reaches each VIVA agent and collector (1 up, 0 down).')
        .withTarget(promInstant('up{job=~"viva-agent|viva-collector"}', '{{job}} {{instance}}'))
        .span(24)
        .height(8),
    )
    .build();
}
