/**
 * The collector's pipeline graph (core/engine/graph): from a config,
 *
 *   inputs.<name>   (source) ──▶ spool                  (sink: the spool outlives the graph)
 *   spool:<dest>    (source) ──▶ route:<route>@<dest>   (chain: that route's processors) ──▶ destination:<dest> (sink)
 *
 * one spool reader per destination, one chain per route and destination (each destination has its
 * own processor instances, so its stream replays from its own position), and the destination's
 * outputs with their breakers. A Destination (destination/destination.ts) runs the reader, the
 * routing and the chains of one destination in one loop; its nodes start and stop its parts.
 */
import type { Logger } from 'pino';
import type { DependencyContainer } from 'tsyringe';
import { compileFilter } from '../core/engine/filter/filter.ts';
import { Graph, type GraphNode } from '../core/engine/graph/graph.ts';
import { buildInput, buildProcessor, create, type Built } from '../core/engine/pipeline/build.ts';
import type { InputSink, RunningInput } from '../core/engine/running/input.ts';
import type { Telemetry } from '../core/engine/telemetry/telemetry.ts';
import { ErrorCode } from '../core/model/errors/codes.ts';
import { VivaError } from '../core/model/errors/errors.ts';
import type { Metric } from '../core/model/metric/metric.ts';
import type { OutputInstance } from '../core/plugin/types.ts';
import { aliasOf, type CollectorConfig, type DestinationConfig } from './config.ts';
import { DeadLetterFile } from './destination/dead-letter.ts';
import {
  Destination,
  type DestinationOutput,
  type RouteChain,
  type SpoolReaderLike,
} from './destination/destination.ts';
import { Router, type CompiledRoute } from './route/router.ts';

export interface CollectorGraphServices {
  container: DependencyContainer;
  log: Logger;
  telemetry: Telemetry;
  /** Opens a destination's reader at its position. */
  reader(destination: DestinationConfig): SpoolReaderLike;
  /** Where an input's batches go (the spool), under the input's label as agent id. */
  sink(label: string): InputSink;
  deadLetterDir: string;
  /** Called with what each destination's outputs took (the dashboard's tap). */
  delivered?: (metrics: readonly Metric[]) => void;
}

/** The graph built from one config: what a reload replaces. */
export interface CollectorGraph {
  graph: Graph;
  router: Router;
  destinations: Destination[];
  inputs: Built<RunningInput>[];
}

/** The parts of one destination, filled in by its nodes as they are created. */
interface Parts {
  config: DestinationConfig;
  outputs: DestinationOutput[];
  chains: RouteChain[];
  reader: SpoolReaderLike | null;
  destination: Destination | null;
}

/** Builds (creates and connects, starts nothing) the collector's graph for a config. */
export async function buildCollectorGraph(
  cfg: CollectorConfig,
  services: CollectorGraphServices,
): Promise<CollectorGraph> {
  const router = new Router(cfg.routes);
  const destinations: Destination[] = [];
  const inputs: Built<RunningInput>[] = [];
  const graceMs = cfg.base.agent.shutdown_timeout;
  const nodes: GraphNode[] = [];
  const chainId = (r: CompiledRoute, dest: string): string => `route:${r.name}#${r.index}@${dest}`;
  const partsOf = new Map<string, Parts>();
  for (const [i, d] of cfg.destinations.entries()) {
    const parts: Parts = { config: d, outputs: [], chains: [], reader: null, destination: null };
    partsOf.set(d.name, parts);
    const chainIds = router.routesTo(d.name).map((r) => chainId(r, d.name));
    const assemble = (): Destination => {
      const destination = new Destination({
        config: d,
        reader: parts.reader as SpoolReaderLike,
        router,
        chains: parts.chains,
        outputs: parts.outputs,
        deadLetter: d.dead_letter
          ? new DeadLetterFile(services.deadLetterDir, d.name, cfg.collector.dead_letter_max_bytes)
          : null,
        countsRouting: i === 0,
        telemetry: services.telemetry,
        log: services.log.child({ destination: d.name }),
        delivered: services.delivered,
      });
      destinations.push(destination);
      return destination;
    };
    const to = chainIds.length > 0 ? chainIds : [`destination:${d.name}`];
    nodes.push(
      readerNode(parts, to, graceMs, assemble, services),
      outputsNode(parts, cfg, graceMs, services),
    );
  }
  // The edges of the routes: one chain per route and destination it names. A destination no
  // [[destinations]] table defines leaves an edge to nowhere, which the plan step refuses.
  for (const r of router.routes)
    for (const dest of r.destinations) {
      const parts = partsOf.get(dest);
      const id = chainId(r, dest);
      nodes.push(
        parts === undefined
          ? { id, kind: 'chain', to: [`destination:${dest}`] }
          : chainNode(parts, router.routesTo(dest).indexOf(r), id, r, cfg, services),
      );
    }
  nodes.push({ id: 'spool', kind: 'sink', to: [] });
  cfg.base.inputs.forEach((spec, k) => {
    let built: Built<RunningInput> | null = null;
    const stop = async (): Promise<void> => {
      built?.abort.abort();
      await Promise.resolve(built?.node.stop()).catch(() => undefined);
    };
    nodes.push({
      id: `${spec.id.label}#${k}`,
      kind: 'source',
      to: ['spool'],
      create: async () => {
        built = await buildInput(
          services.container,
          spec,
          cfg.base.agent,
          { ...cfg.base.globalTags },
          services.sink(spec.id.label),
        );
        inputs[k] = built;
      },
      start: () => built?.node.start(),
      stop,
      release: stop,
    });
  });
  const graph = await Graph.build(nodes);
  return { graph, router, destinations, inputs };
}

/** An alias that names no table: config validation refuses it first (crossCheck). */
function unknown(who: string, kind: string, alias: string): VivaError {
  return new VivaError(
    ErrorCode.GRAPH_INVALID,
    `pipeline graph: ${who} names ${kind} "${alias}", which does not exist`,
  );
}

/** A destination's spool reader: the source of its part of the graph. */
function readerNode(
  parts: Parts,
  to: string[],
  graceMs: number,
  assemble: () => Destination,
  services: CollectorGraphServices,
): GraphNode {
  return {
    id: `spool:${parts.config.name}`,
    kind: 'source',
    to,
    create: () => {
      parts.reader = services.reader(parts.config);
    },
    // Its chains and outputs are created by now: the destination is put together.
    connect: () => {
      parts.destination = assemble();
    },
    start: () => parts.destination?.startReading(),
    stop: () => parts.destination?.stopReading(graceMs),
    release: () => parts.reader?.close(),
  };
}

/** One route's processors for one destination. */
function chainNode(
  parts: Parts,
  index: number,
  id: string,
  route: CompiledRoute,
  cfg: CollectorConfig,
  services: CollectorGraphServices,
): GraphNode {
  const chain: RouteChain = { route, processors: [], aborts: [] };
  const specs = new Map(cfg.base.processors.map((p) => [aliasOf(p.id.label, p.id.alias), p]));
  const release = (): void => {
    for (const a of chain.aborts) a.abort();
  };
  return {
    id,
    kind: 'chain',
    to: [`destination:${parts.config.name}`],
    create: async () => {
      try {
        for (const alias of route.processors) {
          const spec = specs.get(alias);
          if (spec === undefined) throw unknown(`route "${route.name}"`, 'processor', alias);
          const b = await buildProcessor(services.container, spec);
          chain.processors.push(b.node);
          chain.aborts.push(b.abort);
        }
      } catch (e) {
        release();
        throw e;
      }
      // Nodes are created downstream first, in reverse: the chains keep the routes' order.
      parts.chains[index] = chain;
    },
    start: () => parts.destination?.startChain(chain),
    stop: () => parts.destination?.stopChain(chain),
    release,
  };
}

/** A destination's outputs in priority order: the sink of its part of the graph. */
function outputsNode(
  parts: Parts,
  cfg: CollectorConfig,
  graceMs: number,
  services: CollectorGraphServices,
): GraphNode {
  const specs = new Map(cfg.base.outputs.map((o) => [aliasOf(o.id.label, o.id.alias), o]));
  const closeAll = async (): Promise<void> => {
    for (const o of parts.outputs) {
      o.abort.abort();
      await Promise.resolve(o.instance.close?.()).catch(() => undefined);
    }
  };
  return {
    id: `destination:${parts.config.name}`,
    kind: 'sink',
    to: [],
    create: async () => {
      try {
        for (const alias of parts.config.outputs) {
          const spec = specs.get(alias);
          if (spec === undefined) throw unknown(`destination "${parts.config.name}"`, 'output', alias);
          const { instance, abort } = await create<OutputInstance>(services.container, spec.id, (ctx) =>
            spec.def.create(spec.config, ctx),
          );
          parts.outputs.push({
            alias,
            label: spec.id.label,
            instance,
            abort,
            filter: compileFilter(spec.common),
          });
        }
      } catch (e) {
        await closeAll();
        throw e;
      }
    },
    // Outputs connect on their first write (the destination's loop), so starting is a no-op.
    stop: () => parts.destination?.closeOutputs(graceMs),
    release: closeAll,
  };
}
