/**
 * VIVA's Grafana dashboards as code: each dashboard rendered to Grafana's JSON model, by file
 * name under conf/grafana/dashboards/ (`npm run dashboards` writes them; a test checks they match).
 */
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { anomaliesDashboard } from './anomalies.ts';
import { fleetDashboard } from './fleet.ts';
import { hostsDashboard } from './hosts.ts';
import { pipelineDashboard } from './pipeline.ts';

/** Every dashboard by its file name. */
export function dashboards(): Record<string, dashboard.Dashboard> {
  return {
    'viva-fleet.json': fleetDashboard(),
    'viva-hosts.json': hostsDashboard(),
    'viva-pipeline.json': pipelineDashboard(),
    'viva-anomalies.json': anomaliesDashboard(),
  };
}

/** The file contents: stable JSON, two-space indented, with a final newline. */
export function renderDashboards(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(dashboards()).map(([file, d]) => [file, `${JSON.stringify(d, null, 2)}\n`]),
  );
}
