/**
 * The agent's side of the fleet: a heartbeat to `<collector>/v1/heartbeat` every
 * [agent.fleet] interval and, when `config` names one, a poll of the central config every
 * config_interval. Settings are read at each round, so a live reload of [agent.fleet] takes
 * effect at the next one. Failures are logged throttled (VIVA_ERR_FLEET) and counted; the agent
 * runs on regardless.
 */
import type { Logger } from 'pino';
import { agentHostname } from '../../config/schema.ts';
import type { FleetAgentSettings } from '../../config/fleet.ts';
import type { ValidConfig } from '../../config/validate.ts';
import { LogThrottle } from '../../engine/telemetry/log-throttle.ts';
import type { Telemetry } from '../../engine/telemetry/telemetry.ts';
import { ErrorCode } from '../../model/errors/codes.ts';
import type { ReloadResult } from '../reloader.ts';
import type { CentralConfig } from './central.ts';
import type { HeartbeatBuilder } from './heartbeat.ts';

export interface FleetClientOptions {
  /** The running config (its [agent.fleet] and [agent] hostname). */
  config: () => ValidConfig;
  heartbeat: HeartbeatBuilder;
  central: CentralConfig;
  /** Applies the stored central config (the Reloader). */
  reload: () => Promise<ReloadResult>;
  telemetry: Telemetry;
  log: Logger;
}

/** The agent id in the registry: [agent.fleet] id, or the [agent] hostname. */
export function fleetId(cfg: ValidConfig): string {
  return cfg.agent.fleet.id !== '' ? cfg.agent.fleet.id : agentHostname(cfg.agent);
}

export class FleetClient {
  private readonly o: FleetClientOptions;
  private readonly throttle: LogThrottle;
  private beatTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private inFlight = new Set<Promise<unknown>>();

  constructor(o: FleetClientOptions) {
    this.o = o;
    this.throttle = new LogThrottle(o.log);
  }

  private get settings(): FleetAgentSettings {
    return this.o.config().agent.fleet;
  }

  /** Starts both loops; the first heartbeat and poll go out at once. */
  start(): void {
    this.stopped = false;
    this.track(this.beat());
    this.track(this.poll());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.beatTimer);
    clearTimeout(this.pollTimer);
    await Promise.allSettled([...this.inFlight]);
  }

  private track(p: Promise<unknown>): void {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  private async beat(): Promise<void> {
    const s = this.settings;
    if (s.collector !== '') await this.sendHeartbeat(s);
    if (this.stopped) return;
    this.beatTimer = setTimeout(() => this.track(this.beat()), this.settings.interval);
    this.beatTimer.unref();
  }

  private async poll(): Promise<void> {
    const s = this.settings;
    if (s.collector !== '' && s.config !== '') {
      const r = await this.o.central.poll(s, this.o.reload);
      this.o.telemetry
        .counter('viva_fleet_config_polls', 'Central config polls by result')
        .add(1, { result: r });
      // A new config applied or refused: tell the registry now rather than at the next beat.
      if ((r === 'applied' || r === 'rejected') && !this.stopped) {
        clearTimeout(this.beatTimer);
        this.track(this.beat());
      }
    }
    if (this.stopped) return;
    this.pollTimer = setTimeout(() => this.track(this.poll()), this.settings.config_interval);
    this.pollTimer.unref();
  }

  private async sendHeartbeat(s: FleetAgentSettings): Promise<void> {
    const cfg = this.o.config();
    const count = this.o.telemetry.counter('viva_fleet_heartbeats_sent', 'Heartbeats sent, by result');
    try {
      const body = await this.o.heartbeat.build(fleetId(cfg), agentHostname(cfg.agent), s.interval);
      const res = await fetch(`${s.collector.replace(/\/+$/, '')}/v1/heartbeat`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(s.token !== undefined ? { authorization: `Bearer ${s.token}` } : {}),
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(s.timeout),
      });
      const text = await res.text();
      if (res.status >= 200 && res.status < 300) {
        count.add(1, { result: 'ok' });
        return;
      }
      count.add(1, { result: 'refused' });
      this.throttle.warn(
        `status ${res.status}`,
        {
          code: res.status === 401 ? ErrorCode.AUTH : ErrorCode.FLEET,
          status: res.status,
          detail: text.slice(0, 200),
        },
        'collector refused the heartbeat',
      );
    } catch (e) {
      count.add(1, { result: 'error' });
      this.throttle.warn(
        'error',
        { code: ErrorCode.FLEET, err: e instanceof Error ? e.message : String(e) },
        'heartbeat failed',
      );
    }
  }
}
