/**
 * The heartbeat an agent sends to its collector's fleet registry (docs/FLEET.md): who it is, what
 * it runs, and how it does, read from its own self-telemetry and output buffers (no counter of its
 * own): metrics in (viva_input_gathered) and out (viva_output_written), errors (viva_*_errors),
 * rates since the previous heartbeat, the fullest output buffer, the last error.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Telemetry } from '../../engine/telemetry/telemetry.ts';
import { agentHealth, type Agent } from '../agent.ts';

/** The JSON body of POST /v1/heartbeat. */
export interface HeartbeatBody {
  id: string;
  host: string;
  version: string;
  configHash: string;
  configVersion?: string;
  configRejected?: string;
  startedAt: number;
  uptimeSeconds: number;
  intervalSeconds: number;
  status: string;
  metricsIn: number;
  metricsOut: number;
  rateIn: number;
  rateOut: number;
  errors: number;
  errorRate: number;
  bufferFill: number;
  lastError?: string;
}

const ERROR_COUNTERS = new Set(['viva_input_errors', 'viva_output_errors', 'viva_processor_errors']);

/** VIVA's version, from its package.json. */
export function vivaVersion(): string {
  try {
    const pkg = path.join(import.meta.dirname, '..', '..', '..', 'package.json');
    return (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { version?: string }).version ?? '';
  } catch {
    return '';
  }
}

/** Totals of the self-metrics a heartbeat reports. */
export async function telemetryTotals(
  t: Telemetry,
): Promise<{ metricsIn: number; metricsOut: number; errors: number }> {
  let metricsIn = 0;
  let metricsOut = 0;
  let errors = 0;
  for (const m of await t.snapshot()) {
    const v = m.fields.value;
    if (typeof v !== 'number') continue;
    if (m.name === 'viva_input_gathered') metricsIn += v;
    else if (m.name === 'viva_output_written') metricsOut += v;
    else if (ERROR_COUNTERS.has(m.name)) errors += v;
  }
  return { metricsIn, metricsOut, errors };
}

/** How full the fullest output buffer is (0..1), in metrics or bytes, whichever is fuller. */
export function bufferFill(agent: Agent): number {
  let fill = 0;
  const cfg = agent.config;
  for (const o of agent.outputs) {
    const spec = cfg.outputs.find((s) => s.id.label === o.node.id.label);
    const limit = spec?.common.metric_buffer_limit ?? cfg.agent.metric_buffer_limit;
    const maxBytes = spec?.common.buffer_max_bytes ?? 0;
    const b = o.node.buffer;
    fill = Math.max(fill, limit > 0 ? b.length / limit : 0, maxBytes > 0 ? b.bytes / maxBytes : 0);
  }
  return Math.min(1, fill);
}

export interface HeartbeatSource {
  agent: Agent;
  telemetry: Telemetry;
  /** The last failed reload's reason (the Reloader). */
  lastReloadError: () => string | undefined;
  central: { version: string | undefined; rejected: { reason: string } | undefined };
  version: string;
  /** Wall-clock ms when the process started. */
  startedAt: number;
}

/** Builds heartbeats; remembers the previous totals for the rates. */
export class HeartbeatBuilder {
  private readonly s: HeartbeatSource;
  private prev: { at: number; metricsIn: number; metricsOut: number; errors: number } | undefined;

  constructor(s: HeartbeatSource) {
    this.s = s;
  }

  async build(id: string, host: string, intervalMs: number, now = Date.now()): Promise<HeartbeatBody> {
    const { agent } = this.s;
    const totals = await telemetryTotals(this.s.telemetry);
    const since = this.prev ?? { at: this.s.startedAt, metricsIn: 0, metricsOut: 0, errors: 0 };
    const dt = Math.max(0.001, (now - since.at) / 1000);
    const rate = (a: number, b: number): number => Math.max(0, (a - b) / dt);
    this.prev = { at: now, ...totals };
    const health = agentHealth(agent, agent.config.agent.health_degraded_after, true);
    const outputError = health.outputs.find((o) => o.error !== undefined)?.error;
    const lastError = outputError ?? this.s.lastReloadError();
    const { central } = this.s;
    return {
      id,
      host,
      version: this.s.version,
      configHash: agent.config.hash,
      ...(central.version !== undefined ? { configVersion: central.version } : {}),
      ...(central.rejected !== undefined ? { configRejected: central.rejected.reason } : {}),
      startedAt: this.s.startedAt,
      uptimeSeconds: Math.max(0, (now - this.s.startedAt) / 1000),
      intervalSeconds: intervalMs / 1000,
      status: health.status,
      ...totals,
      rateIn: rate(totals.metricsIn, since.metricsIn),
      rateOut: rate(totals.metricsOut, since.metricsOut),
      errorRate: rate(totals.errors, since.errors),
      bufferFill: bufferFill(agent),
      ...(lastError !== undefined ? { lastError } : {}),
    };
  }
}
