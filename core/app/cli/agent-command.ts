/**
 * `viva agent -c FILE`: runs the agent until SIGTERM/SIGINT. `--test` gathers once and prints
 * what inputs and processors produce (no outputs); `--once` gathers once, flushes, exits.
 */
import path from 'node:path';
import { createSerializer } from '../../format/registry.ts';
import { openDiskBuffer } from '../../engine/buffer/disk/index.ts';
import { Telemetry } from '../../engine/telemetry/telemetry.ts';
import { createContainer } from '../../plugin/context.ts';
import type { Registry } from '../../plugin/registry.ts';
import { Agent, agentHealth } from '../agent.ts';
import { AdminServer } from '../admin.ts';
import { createLogger } from '../logger.ts';
import { RunningOutput } from '../../engine/running/output.ts';
import { OutputStats } from '../../engine/running/stats.ts';
import { outputCommonSchema } from '../../config/schema.ts';
import { StdoutWriter } from './stdout-writer.ts';
import { untilSignal } from './until-signal.ts';
import { Exit, parse, UsageError } from './args.ts';
import { loadValid } from './config-command.ts';
import { Reloader } from '../reloader.ts';
import { bootConfig, CentralConfig, fleetClient } from '../fleet/index.ts';
import { reconfigure } from '../reconfigure.ts';
import { MEMORY_REDUCER_HINT, memoryReducerByDefault } from '../heap.ts';
import { loggedIdleMemory } from '../idle-memory.ts';
import { loggedHeapGrowth } from '../heap-growth.ts';
import { loggedPromotionGc } from '../promotion-gc.ts';
import { MemoryBuffer } from '../../engine/buffer/memory.ts';

export async function agentCommand(argv: string[], registry: Registry): Promise<number> {
  const { values } = parse(argv, {
    config: { type: 'string', short: 'c' },
    test: { type: 'boolean', default: false },
    once: { type: 'boolean', default: false },
    'watch-config': { type: 'string', default: 'true' },
    'log-level': { type: 'string' },
  });
  if (values.config === undefined) throw new UsageError('viva agent needs -c FILE|DIR');
  const local = await loadValid(values.config, registry);
  if (local === undefined) return Exit.CONFIG;

  const log = createLogger(values['log-level'] ?? local.agent.log_level);
  const dataDir = path.resolve(local.agent.data_dir);
  // [agent.fleet] config: the central config stored last time runs after the local one.
  const central = new CentralConfig({ localPath: values.config, dataDir, registry, log });
  const cfg = await bootConfig(local, central, log);
  const telemetry = new Telemetry('viva-agent');
  telemetry.monitorEventLoop();
  const container = createContainer({ logger: log, telemetry, dataDir });
  const agent = new Agent(cfg, { container, log, openDisk: openDiskBuffer });

  if (values.test || values.once) {
    let outputs;
    if (values.test) {
      // --test: one stdout writer instead of the configured outputs, line protocol, sorted tags.
      const id = { kind: 'output' as const, name: 'test', alias: undefined, label: 'outputs.test' };
      const node = new RunningOutput({
        id,
        common: outputCommonSchema.parse({}),
        batchSize: 100_000,
        bufferLimit: 10_000_000,
        flushIntervalMs: 3_600_000,
        flushJitterMs: 0,
        instance: new StdoutWriter(createSerializer('influx', { precision: 'ns' })),
        log,
        stats: new OutputStats(telemetry, id),
      });
      outputs = [{ node, abort: new AbortController(), hash: 'test' }];
    }
    try {
      await agent.start({ startInputs: false, outputs });
    } catch (e) {
      log.error({ err: e instanceof Error ? e.message : String(e) }, 'agent failed to start');
      return Exit.FAILURE;
    }
    await agent.gatherOnce();
    await agent.stop();
    await telemetry.shutdown();
    return Exit.OK;
  }

  const admin =
    cfg.agent.http_listen === ''
      ? undefined
      : new AdminServer({
          listen: cfg.agent.http_listen,
          telemetry,
          log,
          token: cfg.agent.http_auth_token,
          tlsCert: cfg.agent.http_tls_cert,
          tlsKey: cfg.agent.http_tls_key,
          health: (detail) => {
            const h = agentHealth(agent, cfg.agent.health_degraded_after, detail);
            return {
              ...h,
              config: {
                hash: agent.config.hash,
                reloads: reloader.count,
                lastReloadCode: reloader.lastErrorCode ?? null,
                ...(detail ? { lastReloadError: reloader.lastError ?? null } : {}),
              },
            };
          },
          ready: () => {
            const h = agentHealth(agent, cfg.agent.health_degraded_after, false);
            return { ready: h.status === 'ok', status: h.status };
          },
        });
  const configPath = values.config;
  const reloader = new Reloader({
    target: {
      get config() {
        return agent.config;
      },
      apply: (next) => reconfigure(agent, next),
    },
    log,
    telemetry,
    load: () => central.load(),
  });
  const fleet = fleetClient({ agent, reloader, central, telemetry, log });
  const idle = loggedIdleMemory(log);
  // Metrics held in memory buffers (a disk buffer's are on disk), read from the outputs a reload left.
  const heapGrowth = loggedHeapGrowth(log, () => {
    let n = 0;
    for (const o of agent.outputs) if (o.node.buffer instanceof MemoryBuffer) n += o.node.buffer.length;
    return n;
  });
  const promotionGc = loggedPromotionGc(log, () => heapGrowth.growingPercent);
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
    cfg.agent.http_auth_token === undefined,
  );
  try {
    await admin?.start();
    await agent.start();
    if (memoryReducerByDefault()) log.info({ execArgv: process.execArgv }, MEMORY_REDUCER_HINT);
    const watchConfig = values['watch-config'] !== 'false' && cfg.agent.watch_config;
    await reloader.start(watchConfig ? configPath : undefined);
    fleet.start();
    idle.start();
    promotionGc.start();
    heapGrowth.start();
  } catch (e) {
    log.error({ err: e instanceof Error ? e.message : String(e) }, 'agent failed to start');
    await admin?.stop();
    return Exit.FAILURE;
  }

  return untilSignal(log, [
    () => idle.stop(),
    () => promotionGc.stop(),
    () => void heapGrowth.stop(),
    () => fleet.stop(),
    () => reloader.stop(),
    () => agent.stop(),
    () => admin?.stop(),
    () => telemetry.shutdown(),
  ]);
}
