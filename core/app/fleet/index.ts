/**
 * The agent's fleet pieces put together for `viva agent` (docs/FLEET.md): the central config
 * (the Reloader's loader) and the client sending heartbeats and polling the central config.
 */
import type { Logger } from 'pino';
import type { ValidConfig } from '../../config/validate.ts';
import type { Telemetry } from '../../engine/telemetry/telemetry.ts';
import { ErrorCode } from '../../model/errors/codes.ts';
import type { Agent } from '../agent.ts';
import type { Reloader } from '../reloader.ts';
import type { CentralConfig } from './central.ts';
import { FleetClient } from './client.ts';
import { HeartbeatBuilder, vivaVersion } from './heartbeat.ts';

export { CentralConfig } from './central.ts';
export { FleetClient } from './client.ts';

/**
 * The config an agent starts with: the local one, with the stored central config after it when
 * [agent.fleet] config names one (so it runs while the collector is unreachable); the local one
 * alone when the stored one cannot be used.
 */
export async function bootConfig(
  local: ValidConfig,
  central: CentralConfig,
  log: Logger,
): Promise<ValidConfig> {
  if (local.agent.fleet.config === '') return local;
  try {
    return await central.load();
  } catch (e) {
    log.warn(
      { code: ErrorCode.FLEET, err: e instanceof Error ? e.message : String(e) },
      'stored central config unusable; starting on the local config',
    );
    return local;
  }
}

/** The heartbeat and central-config client of a running agent (start it after the agent). */
export function fleetClient(o: {
  agent: Agent;
  reloader: Reloader;
  central: CentralConfig;
  telemetry: Telemetry;
  log: Logger;
}): FleetClient {
  const heartbeat = new HeartbeatBuilder({
    agent: o.agent,
    telemetry: o.telemetry,
    lastReloadError: () => o.reloader.lastError,
    central: o.central,
    version: vivaVersion(),
    startedAt: Date.now() - process.uptime() * 1000,
  });
  return new FleetClient({
    config: () => o.agent.config,
    heartbeat,
    central: o.central,
    reload: () => o.reloader.reload('central config'),
    telemetry: o.telemetry,
    log: o.log.child({ component: 'fleet' }),
  });
}
