/**
 * The agent's pipeline graph (core/engine/graph), the simplest one:
 *
 *   every input (source) ──▶ processors (one chain, in config order) ──▶ every output (sink)
 *
 * Built from specs when the agent starts (create builds each plugin, connect points the
 * pipeline at the chain and the outputs), or over the running instances when it stops (a live
 * reload replaces instances in place, core/app/reconfigure.ts). Stopping a node that never
 * started is stopping it too: inputs, processors and outputs stop cleanly from any state.
 */
import type { InputSpec, OutputSpec } from '../config/validate.ts';
import type { GraphNode } from '../engine/graph/graph.ts';
import { buildInput, buildOutput, buildProcessor, type Built } from '../engine/pipeline/build.ts';
import type { RunningInput } from '../engine/running/input.ts';
import type { RunningOutput } from '../engine/running/output.ts';
import type { RunningProcessor } from '../engine/running/processor.ts';
import { defaultTags, type Agent } from './agent.ts';

const CHAIN = 'processors';
const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Where a node's instance comes from: a spec to build, or an instance already built. */
type From<T> = { spec: InputSpec | OutputSpec } | { built: Built<T> };

/**
 * The agent's nodes. `from` 'config' builds every instance from the agent's config (outputs
 * handed in are taken as they are); 'running' wraps the instances the agent holds now.
 */
export function agentNodes(
  agent: Agent,
  from: 'config' | 'running',
  handedOutputs?: Built<RunningOutput>[],
): GraphNode[] {
  const cfg = agent.config;
  const outputs: From<RunningOutput>[] =
    from === 'running'
      ? agent.outputs.map((built) => ({ built }))
      : handedOutputs !== undefined
        ? handedOutputs.map((built) => ({ built }))
        : cfg.outputs.map((spec) => ({ spec }));
  const inputs: From<RunningInput>[] =
    from === 'running' ? agent.inputs.map((built) => ({ built })) : cfg.inputs.map((spec) => ({ spec }));
  if (from === 'config') {
    agent.outputs = [];
    agent.inputs = [];
  }
  const outputNodes = outputs.map((o, k) => outputNode(agent, o, k));
  return [
    ...inputs.map((i, k) => inputNode(agent, i, k)),
    chainNode(agent, from === 'config', outputNodes),
    ...outputNodes,
  ];
}

const idOf = (kind: string, f: From<unknown>, k: number): string =>
  `${'spec' in f ? f.spec.id.label : (f.built as Built<{ id: { label: string } }>).node.id.label}#${kind}${k}`;

function inputNode(agent: Agent, from: From<RunningInput>, k: number): GraphNode {
  let built = 'built' in from ? from.built : null;
  const stop = async (): Promise<void> => {
    if (built === null) return;
    built.abort.abort();
    try {
      await agent.within(agent.deadline(), built.node.id.label, Promise.resolve(built.node.stop()));
    } catch (e) {
      agent.deps.log.warn({ plugin: built.node.id.label, err: message(e) }, 'input stop failed');
    }
  };
  return {
    id: idOf('in', from, k),
    kind: 'source',
    to: [CHAIN],
    create:
      'spec' in from
        ? async () => {
            const cfg = agent.config;
            const spec = from.spec as InputSpec;
            built = await buildInput(agent.deps.container, spec, cfg.agent, defaultTags(cfg), agent.pipeline);
            // Created downstream first, so in reverse: the agent keeps the config's order.
            agent.inputs[k] = built;
          }
        : undefined,
    start: () => built?.node.start(),
    stop,
    release: stop,
  };
}

/** The one chain: builds the processors, points the pipeline at them and at the outputs. */
function chainNode(agent: Agent, build: boolean, outputs: GraphNode[]): GraphNode {
  const stop = async (): Promise<void> => {
    const until = agent.deadline();
    agent.pipeline.releaseParked();
    await agent.within(until, 'pipeline', agent.pipeline.idle());
    const ps: Built<RunningProcessor>[] = agent.processors;
    for (let k = 0; k < ps.length; k++) await agent.stopProcessor(ps[k], k, until);
  };
  return {
    id: CHAIN,
    kind: 'chain',
    to: outputs.map((o) => o.id),
    create: build
      ? async () => {
          agent.processors = [];
          try {
            for (const spec of agent.config.processors)
              agent.processors.push(await buildProcessor(agent.deps.container, spec));
          } catch (e) {
            await stop();
            throw e;
          }
        }
      : undefined,
    connect: () => agent.rewire(),
    start: async () => {
      for (const p of agent.processors) await agent.startProcessor(p.node);
    },
    stop,
    release: stop,
  };
}

function outputNode(agent: Agent, from: From<RunningOutput>, k: number): GraphNode {
  let built = 'built' in from ? from.built : null;
  if (built !== null) agent.outputs[k] = built;
  // Outputs keep a tenth of what is left of shutdown_timeout (at most 1 s) for closing after their flush.
  const stop = async (): Promise<void> => {
    if (built === null) return;
    const until = agent.deadline();
    const left = Math.max(0, until - performance.now());
    const flush = left - Math.min(1000, left / 10);
    try {
      await agent.within(until, built.node.id.label, built.node.stop(flush));
    } finally {
      built.abort.abort();
    }
  };
  return {
    id: idOf('out', from, k),
    kind: 'sink',
    to: [],
    create:
      'spec' in from
        ? async () => {
            const cfg = agent.config;
            built = await buildOutput(
              agent.deps.container,
              from.spec as OutputSpec,
              cfg.agent,
              agent.deps.openDisk,
              () => agent.pipeline.capacityAvailable(),
            );
            agent.outputs[k] = built;
          }
        : undefined,
    start: () => built?.node.start(),
    stop,
    release: stop,
  };
}
