/**
 * Wires the fleet into a collector: the registry (state file under data_dir) and the ingest
 * listener's heartbeat and config routes, authorized by the collector's current ingest tokens.
 */
import path from 'node:path';
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import type { Telemetry } from '../../core/engine/telemetry/telemetry.ts';
import type { CollectorConfig } from '../config.ts';
import { FleetEndpoints } from './endpoints.ts';
import { FleetRegistry } from './registry.ts';
import type { FleetKafkaSettings } from './config.ts';
import { FleetShare } from './share.ts';

/** The state file of the registry, from the config. */
export function fleetStateFile(cfg: CollectorConfig): string {
  const f = cfg.collector.fleet.state_file;
  return f !== '' ? f : path.join(cfg.base.agent.data_dir, 'fleet', 'agents.json');
}

/** What the fleet needs of the collector: its current config and its agent token check. */
interface Host {
  readonly config: CollectorConfig;
  authorizeAgent(req: IncomingMessage): string | null;
}

/** Creates the registry and the endpoints of a collector (no I/O until `registry.open()`). */
export function fleetOf(
  collector: Host,
  services: { telemetry: Telemetry; log: Logger },
): { registry: FleetRegistry; endpoints: FleetEndpoints; sharing: FleetSharing } {
  const log = services.log.child({ component: 'fleet' });
  const registry = new FleetRegistry({
    settings: collector.config.collector.fleet,
    file: fleetStateFile(collector.config),
    telemetry: services.telemetry,
    log,
  });
  const endpoints = new FleetEndpoints({
    registry,
    authorize: (req) => collector.authorizeAgent(req),
    configDir: () => collector.config.collector.fleet.config_dir,
    telemetry: services.telemetry,
    log,
  });
  return {
    registry,
    endpoints,
    sharing: new FleetSharing({ registry, telemetry: services.telemetry, log: services.log }),
  };
}

/**
 * The Kafka sharing of a collector's registry, following its config: started, restarted when
 * [collector.fleet.kafka] changes in a reload, stopped when it goes.
 */
export class FleetSharing {
  private share: FleetShare | undefined;
  private readonly o: { registry: FleetRegistry; telemetry: Telemetry; log: Logger };

  constructor(o: { registry: FleetRegistry; telemetry: Telemetry; log: Logger }) {
    this.o = o;
  }

  async update(settings: FleetKafkaSettings | undefined): Promise<void> {
    if (JSON.stringify(settings) === JSON.stringify(this.share?.settings)) return;
    await this.stop();
    if (settings === undefined) return;
    this.share = new FleetShare({ settings, ...this.o, log: this.o.log.child({ component: 'fleet' }) });
    this.share.start();
  }

  async stop(): Promise<void> {
    const s = this.share;
    this.share = undefined;
    await s?.stop();
  }
}
