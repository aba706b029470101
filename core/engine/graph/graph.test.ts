import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../model/errors/codes.ts';
import { VivaError } from '../../model/errors/errors.ts';
import { Graph, planGraph, type GraphNode, type NodeKind } from './graph.ts';

/** A node that logs its lifecycle steps into `log` as "step id". */
function node(
  log: string[],
  id: string,
  kind: NodeKind,
  to: string[] = [],
  fail: { create?: boolean; start?: boolean; stop?: boolean } = {},
): GraphNode & { next: string[] } {
  const n = {
    id,
    kind,
    to,
    next: [] as string[],
    create: () => {
      log.push(`create ${id}`);
      if (fail.create === true) throw new Error(`${id} cannot be created`);
    },
    connect: (next: readonly GraphNode[]) => {
      n.next = next.map((x) => x.id);
    },
    start: async () => {
      log.push(`start ${id}`);
      await Promise.resolve();
      if (fail.start === true) throw new Error(`${id} cannot start`);
    },
    stop: async () => {
      log.push(`stop ${id}`);
      await Promise.resolve();
      if (fail.stop === true) throw new Error(`${id} cannot stop`);
    },
    release: () => void log.push(`release ${id}`),
  };
  return n;
}

/** The agent's shape: two inputs → one chain → two outputs. */
function agentShape(log: string[], fail: Record<string, Parameters<typeof node>[4]> = {}): GraphNode[] {
  return [
    node(log, 'in1', 'source', ['chain'], fail.in1),
    node(log, 'in2', 'source', ['chain'], fail.in2),
    node(log, 'chain', 'chain', ['out1', 'out2'], fail.chain),
    node(log, 'out1', 'sink', [], fail.out1),
    node(log, 'out2', 'sink', [], fail.out2),
  ];
}

function graphError(f: () => unknown): VivaError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(VivaError);
    expect((e as VivaError).code).toBe(ErrorCode.GRAPH_INVALID);
    return e as VivaError;
  }
  throw new Error('no error was thrown');
}

describe('the pipeline graph', () => {
  it('should refuse an edge to a node that does not exist, naming both', () => {
    const log: string[] = [];
    const e = graphError(() =>
      planGraph([
        node(log, 'spool:tsdb', 'source', ['route:cpu@tsdb']),
        node(log, 'route:cpu@tsdb', 'chain', ['destination:nowhere']),
      ]),
    );
    expect(e.message).toContain('"route:cpu@tsdb" sends to "destination:nowhere", which does not exist');
  });

  it('should refuse a cycle, naming the nodes around it', () => {
    const log: string[] = [];
    const e = graphError(() =>
      planGraph([
        node(log, 'src', 'source', ['a']),
        node(log, 'a', 'chain', ['b']),
        node(log, 'b', 'chain', ['c']),
        node(log, 'c', 'chain', ['a', 'out']),
        node(log, 'out', 'sink'),
      ]),
    );
    expect(e.message).toContain('cycle: a → b → c → a');
  });

  it('should refuse two nodes with one id, an edge into a source and an edge out of a sink', () => {
    const log: string[] = [];
    expect(graphError(() => planGraph([node(log, 'x', 'source'), node(log, 'x', 'sink')])).message).toContain(
      'two nodes named "x"',
    );
    expect(
      graphError(() => planGraph([node(log, 'a', 'source', ['b']), node(log, 'b', 'source')])).message,
    ).toContain('cannot send to source "b"');
    expect(
      graphError(() => planGraph([node(log, 'a', 'sink', ['b']), node(log, 'b', 'sink')])).message,
    ).toContain('sink "a" cannot send to "b"');
  });

  it('should layer the agent shape: sources, then the chain, then the outputs', () => {
    const layers = planGraph(agentShape([])).map((l) => l.map((n) => n.id));
    expect(layers).toEqual([['in1', 'in2'], ['chain'], ['out1', 'out2']]);
  });

  it('should create and start downstream first, connect each node to its targets, and stop upstream first', async () => {
    const log: string[] = [];
    const nodes = agentShape(log);
    const g = await Graph.build(nodes);
    await g.start();
    expect((nodes[2] as GraphNode & { next: string[] }).next).toEqual(['out1', 'out2']);
    await g.stop();
    expect(log).toEqual([
      'create out2',
      'create out1',
      'create chain',
      'create in2',
      'create in1',
      'start out2',
      'start out1',
      'start chain',
      'start in2',
      'start in1',
      // Stops layer by layer: both inputs before the chain, the chain before either output.
      'stop in1',
      'stop in2',
      'stop chain',
      'stop out1',
      'stop out2',
    ]);
  });

  it('should stop what started and release the rest when a node fails to start', async () => {
    const log: string[] = [];
    const g = await Graph.build(agentShape(log, { chain: { start: true } }));
    await expect(g.start()).rejects.toThrow('chain cannot start');
    expect(log.slice(5)).toEqual([
      'start out2',
      'start out1',
      'start chain',
      'release in1',
      'release in2',
      'release chain',
      'stop out1',
      'stop out2',
    ]);
  });

  it('should release what was created when a node cannot be created', async () => {
    const log: string[] = [];
    await expect(Graph.build(agentShape(log, { chain: { create: true } }))).rejects.toThrow(
      'chain cannot be created',
    );
    expect(log).toEqual(['create out2', 'create out1', 'create chain', 'release out1', 'release out2']);
  });

  it('should leave skipped nodes unstarted and release them at stop', async () => {
    const log: string[] = [];
    const g = await Graph.build(agentShape(log));
    await g.start((n) => n.kind === 'source');
    await g.stop();
    expect(log.slice(5)).toEqual([
      'start out2',
      'start out1',
      'start chain',
      'release in1',
      'release in2',
      'stop chain',
      'stop out1',
      'stop out2',
    ]);
  });

  it('should stop every node even when one fails to stop, then report the failure', async () => {
    const log: string[] = [];
    const g = await Graph.build(agentShape(log, { in1: { stop: true } }));
    await g.start();
    await expect(g.stop()).rejects.toThrow('in1 cannot stop');
    expect(log.slice(10)).toEqual(['stop in1', 'stop in2', 'stop chain', 'stop out1', 'stop out2']);
  });
});
