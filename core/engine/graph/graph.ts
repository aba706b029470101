/**
 * A pipeline as a graph: sources → processor chains → sinks (outputs, destinations), with edges
 * from config. Both runtimes are one: the agent is the simplest graph (every input → one chain →
 * every output), the collector one chain per route and destination between its spool readers
 * and its destinations. Built in small named steps, as the OpenTelemetry Collector's graph
 * builder is:
 *
 *   plan     check the declared nodes and edges (unique ids, known targets, no cycle) and order
 *            them topologically;
 *   create   each node's plugin instances, downstream first (what fails releases what was made);
 *   connect  each node to the nodes it sends to, all created by then;
 *   start    downstream first (reverse topological order), so nothing sends into a node not
 *            started; a failure stops what had started;
 *   stop     upstream first (topological order), one layer at a time, the nodes of a layer
 *            together, so each node drains into nodes still running.
 */
import { ErrorCode } from '../../model/errors/codes.ts';
import { VivaError } from '../../model/errors/errors.ts';

export type NodeKind = 'source' | 'chain' | 'sink';

/** One node: its place in the graph and its lifecycle (every step optional). */
export interface GraphNode {
  readonly id: string;
  readonly kind: NodeKind;
  /** Ids of the nodes this one sends to. */
  readonly to: readonly string[];
  /** Creates the node's plugin instances; nothing is started. */
  create?(): Promise<void> | void;
  /** Hands the node the nodes it sends to (created). */
  connect?(next: readonly GraphNode[]): void;
  start?(): Promise<void> | void;
  stop?(): Promise<void> | void;
  /** Releases what create() made when the graph is abandoned before it started. */
  release?(): Promise<void> | void;
}

function invalid(message: string): VivaError {
  return new VivaError(ErrorCode.GRAPH_INVALID, `pipeline graph: ${message}`);
}

/**
 * Checks the nodes and returns their layers: layer k holds the nodes whose longest path from a
 * node nothing sends to has k edges. Throws VIVA_ERR_GRAPH_INVALID for a duplicate id, an edge to
 * an unknown node, an edge into a source or out of a sink, and a cycle (named node by node).
 */
export function planGraph(nodes: readonly GraphNode[]): GraphNode[][] {
  const byId = new Map<string, GraphNode>();
  for (const n of nodes) {
    if (byId.has(n.id)) throw invalid(`two nodes named "${n.id}"`);
    byId.set(n.id, n);
  }
  const incoming = new Map<string, number>(nodes.map((n) => [n.id, 0]));
  for (const n of nodes)
    for (const t of n.to) {
      const target = byId.get(t);
      if (target === undefined) throw invalid(`"${n.id}" sends to "${t}", which does not exist`);
      if (n.kind === 'sink') throw invalid(`sink "${n.id}" cannot send to "${t}"`);
      if (target.kind === 'source') throw invalid(`"${n.id}" cannot send to source "${t}"`);
      incoming.set(t, (incoming.get(t) ?? 0) + 1);
    }
  // Kahn's algorithm, keeping the longest distance from a root as the layer.
  const depth = new Map<string, number>();
  const ready = nodes.filter((n) => incoming.get(n.id) === 0);
  for (const n of ready) depth.set(n.id, 0);
  const order: GraphNode[] = [];
  while (ready.length > 0) {
    const n = ready.shift() as GraphNode;
    order.push(n);
    for (const t of n.to) {
      depth.set(t, Math.max(depth.get(t) ?? 0, (depth.get(n.id) ?? 0) + 1));
      const left = (incoming.get(t) ?? 0) - 1;
      incoming.set(t, left);
      if (left === 0) ready.push(byId.get(t) as GraphNode);
    }
  }
  if (order.length < nodes.length) throw invalid(`cycle: ${findCycle(nodes, byId).join(' → ')}`);
  const layers: GraphNode[][] = [];
  for (const n of order) (layers[depth.get(n.id) ?? 0] ??= []).push(n);
  return layers.filter((l) => l !== undefined);
}

/** One cycle among the nodes (ids, the first repeated at the end), for the error message. */
function findCycle(nodes: readonly GraphNode[], byId: Map<string, GraphNode>): string[] {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (id: string): string[] | null => {
    if (state.get(id) === 'open') return [...path.slice(path.indexOf(id)), id];
    if (state.get(id) === 'done') return null;
    state.set(id, 'open');
    path.push(id);
    for (const t of byId.get(id)?.to ?? []) {
      const c = visit(t);
      if (c !== null) return c;
    }
    path.pop();
    state.set(id, 'done');
    return null;
  };
  for (const n of nodes) {
    const c = visit(n.id);
    if (c !== null) return c;
  }
  return [];
}

/** A planned graph and its lifecycle. */
export class Graph {
  /** Nodes by layer, upstream first. */
  readonly layers: GraphNode[][];
  private readonly byId: Map<string, GraphNode>;
  private readonly created = new Set<GraphNode>();
  private readonly started = new Set<GraphNode>();

  private constructor(layers: GraphNode[][]) {
    this.layers = layers;
    this.byId = new Map(layers.flat().map((n) => [n.id, n]));
  }

  /** Plans, creates and connects a graph (nothing started): the first three steps. */
  static async build(nodes: readonly GraphNode[]): Promise<Graph> {
    const g = new Graph(planGraph(nodes));
    await g.create();
    g.connect();
    return g;
  }

  /**
   * A graph over nodes that already run (the agent's instances after live reloads replaced some
   * in place): planned and connected, every node counted as started, ready to stop.
   */
  static running(nodes: readonly GraphNode[]): Graph {
    const g = new Graph(planGraph(nodes));
    g.connect();
    for (const n of g.nodes) {
      g.created.add(n);
      g.started.add(n);
    }
    return g;
  }

  /** Every node, upstream first (a topological order). */
  get nodes(): GraphNode[] {
    return this.layers.flat();
  }

  node(id: string): GraphNode | undefined {
    return this.byId.get(id);
  }

  private async create(): Promise<void> {
    try {
      for (const n of this.nodes.reverse()) {
        await n.create?.();
        this.created.add(n);
      }
    } catch (e) {
      await this.stop().catch(() => undefined);
      throw e;
    }
  }

  private connect(): void {
    for (const n of this.nodes) n.connect?.(n.to.map((t) => this.byId.get(t) as GraphNode));
  }

  /**
   * Starts the nodes downstream first, one at a time; `skip` leaves some unstarted (the agent's
   * inputs for --test and replay). On a failure everything is stopped (or released) and the
   * error is thrown.
   */
  async start(skip: (n: GraphNode) => boolean = () => false): Promise<void> {
    for (const n of this.nodes.reverse()) {
      if (skip(n)) continue;
      try {
        await n.start?.();
      } catch (e) {
        await this.stop().catch(() => undefined);
        throw e;
      }
      this.started.add(n);
    }
  }

  /**
   * Stops the nodes upstream first, layer by layer, the nodes of a layer together: a started node
   * is stopped, one only created is released. Every node gets its turn even when another fails;
   * the first failure is thrown at the end.
   */
  async stop(): Promise<void> {
    let failure: unknown = undefined;
    for (const layer of this.layers) {
      const results = await Promise.allSettled(
        layer
          .filter((n) => this.created.has(n))
          .map(async (n) => (this.started.has(n) ? n.stop?.() : n.release?.())),
      );
      for (const r of results) if (r.status === 'rejected') failure ??= r.reason;
    }
    this.started.clear();
    this.created.clear();
    if (failure !== undefined) throw failure;
  }
}
