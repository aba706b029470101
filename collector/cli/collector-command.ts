/**
 * `viva collector -c FILE|DIR`: runs the collector until SIGTERM/SIGINT. Same config language,
 * validation, live reload (file watch, SIGHUP, POST /admin/reload), self-metrics and /health as
 * the agent. The admin server listens on [collector] admin_listen.
 */
import path from 'node:path';
import { AdminServer } from '../../core/app/admin.ts';
import { untilSignal } from '../../core/app/cli/until-signal.ts';
import { Exit, parse, UsageError } from '../../core/app/cli/args.ts';
import { loadValid, type ConfigProfile } from '../../core/app/cli/config-command.ts';
import { loggedIdleMemory } from '../../core/app/idle-memory.ts';
import { createLogger } from '../../core/app/logger.ts';
import { Reloader } from '../../core/app/reloader.ts';
import { Telemetry } from '../../core/engine/telemetry/telemetry.ts';
import { ConfigError } from '../../core/model/errors/errors.ts';
import { loadAndValidate } from '../../core/plugin/external.ts';
import { createContainer } from '../../core/plugin/context.ts';
import type { Registry } from '../../core/plugin/registry.ts';
import { collectorSections, crossCheck, type CollectorConfig } from '../config.ts';
import { FLEET_API_PATH, fleetApiRoute } from '../fleet/api.ts';

/** Loads, validates and cross-checks a collector config; prints every problem and returns undefined. */
export async function loadCollectorConfig(
  file: string,
  registry: Registry,
): Promise<CollectorConfig | undefined> {
  const base = await loadValid(file, registry, collectorSections);
  if (base === undefined) return undefined;
  try {
    return crossCheck(base);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    console.error(
      `viva: config invalid (${e.code}), ${e.issues.length} problem${e.issues.length === 1 ? '' : 's'}:`,
    );
    for (const line of e.message.split('\n')) console.error(`  ${line}`);
    return undefined;
  }
}

/** `viva config check` on a collector config: the sections and the cross-checks. */
export const collectorConfigProfile: ConfigProfile = {
  sections: collectorSections,
  check: (cfg) => {
    const c = crossCheck(cfg);
    return `${c.routes.length} route(s), ${c.destinations.length} destination(s)`;
  },
};

export async function collectorCommand(argv: string[], registry: Registry): Promise<number> {
  const { values } = parse(argv, {
    config: { type: 'string', short: 'c' },
    'watch-config': { type: 'string', default: 'true' },
    'log-level': { type: 'string' },
  });
  if (values.config === undefined) throw new UsageError('viva collector needs -c FILE|DIR');
  const cfg = await loadCollectorConfig(values.config, registry);
  if (cfg === undefined) return Exit.CONFIG;
  const agentCfg = cfg.base.agent;
  const log = createLogger(values['log-level'] ?? agentCfg.log_level);
  const telemetry = new Telemetry('viva-collector');
  telemetry.monitorEventLoop();
  const container = createContainer({ logger: log, telemetry, dataDir: path.resolve(agentCfg.data_dir) });
  // Imported here: an agent (and `viva config check`) does not load the collector's runtime.
  const { Collector } = await import('../collector.ts');
  const collector = new Collector(cfg, { container, log, telemetry });
  const configPath = values.config;
  const reloader = new Reloader({
    target: {
      get config() {
        return collector.config.base;
      },
      apply: (next) => collector.apply(next),
    },
    log,
    telemetry,
    // The cross-checks are part of validation: a config that fails them is "invalid" (400), and
    // the running collector goes on.
    load: async () => {
      const next = await loadAndValidate(configPath, registry, collectorSections);
      crossCheck(next);
      return next;
    },
  });
  const adminListen = cfg.collector.admin_listen;
  const admin =
    adminListen === ''
      ? undefined
      : new AdminServer({
          listen: adminListen,
          telemetry,
          log,
          token: agentCfg.http_auth_token,
          tlsCert: agentCfg.http_tls_cert,
          tlsKey: agentCfg.http_tls_key,
          health: (detail) => {
            const h = collector.health();
            if (!detail) for (const d of h.destinations) for (const o of d.outputs) delete o.lastError;
            return {
              ...h,
              config: {
                hash: collector.config.base.hash,
                reloads: reloader.count,
                lastReloadCode: reloader.lastErrorCode ?? null,
                ...(detail ? { lastReloadError: reloader.lastError ?? null } : {}),
              },
            };
          },
          ready: () => {
            const h = collector.health();
            return { ready: h.status === 'ok', status: h.status };
          },
        });
  admin?.route(
    'POST /admin/reload',
    async (_req, res) => {
      const r = await reloader.reload('admin');
      res.writeHead(r.result === 'success' ? 200 : r.result === 'invalid' ? 400 : 500, {
        'content-type': 'application/json',
      });
      res.end(JSON.stringify(r));
    },
    true,
    agentCfg.http_auth_token === undefined,
  );
  admin?.route(`GET ${FLEET_API_PATH}`, fleetApiRoute(collector.fleet));
  const { attachDashboard } = await import('../dashboard/index.ts');
  const dashboard = admin === undefined ? undefined : attachDashboard(admin, collector, { telemetry, log });
  // As the agent's: never under load (the loop busier than 2 % over a 15 s window).
  const idle = loggedIdleMemory(log);
  try {
    await admin?.start();
    await collector.start();
    dashboard?.start();
    const watch = values['watch-config'] !== 'false' && agentCfg.watch_config;
    await reloader.start(watch ? configPath : undefined);
    idle.start();
  } catch (e) {
    log.error({ err: e instanceof Error ? e.message : String(e) }, 'collector failed to start');
    await admin?.stop();
    return Exit.FAILURE;
  }
  return untilSignal(log, [
    () => idle.stop(),
    () => reloader.stop(),
    async () => dashboard?.stop(),
    () => collector.stop(),
    () => admin?.stop(),
    () => telemetry.shutdown(),
  ]);
}
