/**
 * Applies a new validated config to a running agent without a restart. Plugin instances are
 * matched by identity (kind, name, alias, their own table, and the agent settings they depend
 * on): unchanged ones keep running (listeners keep their sockets, outputs their buffers),
 * changed ones are replaced, removed ones stop after draining, new ones start. A replaced
 * output hands its buffered metrics to its successor. If a new piece fails to start, everything
 * this reload changed is rolled back and the previous pipeline goes on.
 */
import { createHash } from 'node:crypto';
import type { InputSpec, OutputSpec, ProcessorSpec, ValidConfig } from '../config/validate.ts';
import { buildInput, buildOutput, buildProcessor, type Built } from '../engine/pipeline/build.ts';
import type { Delivery } from '../engine/pipeline/delivery.ts';
import type { Metric } from '../model/metric/metric.ts';
import type { RunningInput } from '../engine/running/input.ts';
import type { RunningOutput } from '../engine/running/output.ts';
import type { RunningProcessor } from '../engine/running/processor.ts';
import { defaultTags, type Agent } from './agent.ts';

type Spec = InputSpec | ProcessorSpec | OutputSpec;
type Chunks = { metrics: Metric[]; delivery: Delivery | null }[];

const sha = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 16);

/** Identity of a plugin instance under a config: its own table plus the agent settings it uses. */
export function identity(spec: Spec, cfg: ValidConfig): string {
  const a = cfg.agent;
  switch (spec.id.kind) {
    case 'input':
      return sha(
        JSON.stringify([
          spec.hash,
          a.interval,
          a.round_interval,
          a.collection_jitter,
          defaultTags(cfg),
          a.data_dir,
        ]),
      );
    case 'output':
      return sha(
        JSON.stringify([
          spec.hash,
          a.flush_interval,
          a.flush_jitter,
          a.metric_batch_size,
          a.metric_buffer_limit,
          a.data_dir,
          a.shutdown_timeout,
        ]),
      );
    default:
      return spec.hash;
  }
}

/** What a reload did, for logs, metrics and the admin endpoint. */
export interface ReloadSummary {
  kept: string[];
  started: string[];
  replaced: string[];
  stopped: string[];
}

/** Splits old nodes and new specs into kept (matched by identity), removed and added. */
function match<T>(
  old: Built<T>[],
  oldCfg: ValidConfig,
  specs: Spec[],
  next: ValidConfig,
): { kept: Map<Spec, Built<T>>; removed: Built<T>[]; added: Spec[] } {
  const pool = new Map<string, Built<T>[]>();
  for (const b of old) {
    const id = identity(b.spec as Spec, oldCfg);
    pool.set(id, [...(pool.get(id) ?? []), b]);
  }
  const kept = new Map<Spec, Built<T>>();
  const added: Spec[] = [];
  for (const s of specs) {
    const list = pool.get(identity(s, next));
    const b = list?.shift();
    if (b !== undefined) kept.set(s, b);
    else added.push(s);
  }
  const removed = [...pool.values()].flat();
  return { kept, removed, added };
}

/** Applies `next` to a running agent; throws (after rolling back) when a new piece cannot start. */
export async function reconfigure(agent: Agent, next: ValidConfig): Promise<ReloadSummary> {
  const prev = agent.config;
  const { container, log, openDisk } = agent.deps;
  const summary: ReloadSummary = { kept: [], started: [], replaced: [], stopped: [] };
  if (
    JSON.stringify([prev.agent.http_listen, prev.agent.http_auth_token, prev.agent.log_level]) !==
    JSON.stringify([next.agent.http_listen, next.agent.http_auth_token, next.agent.log_level])
  )
    log.warn('changes to http_listen, http_auth_token and log_level take effect at the next restart');

  const outs = match(agent.outputs, prev, next.outputs, next);
  const procs = match(agent.processors, prev, next.processors, next);
  const ins = match(agent.inputs, prev, next.inputs, next);

  // Phase 1: everything that can fail. Undo records how to roll each step back.
  const undo: (() => Promise<void>)[] = [];
  const newOutputs = new Map<Spec, Built<RunningOutput>>();
  const newProcessors = new Map<Spec, Built<RunningProcessor>>();
  const newInputs = new Map<Spec, Built<RunningInput>>();
  const detachedOutputs = new Set<Built<RunningOutput>>();
  const stoppedInputs = new Set<Built<RunningInput>>();
  try {
    for (const spec of outs.added) {
      const label = spec.id.label;
      const predecessor = outs.removed.find((o) => o.node.id.label === label);
      let handed: Chunks = [];
      if (predecessor !== undefined) {
        handed = await predecessor.node.detach();
        detachedOutputs.add(predecessor);
        undo.push(async () => {
          // Rebuild the predecessor and give its metrics back.
          const again = await buildOutput(
            container,
            predecessor.spec as OutputSpec,
            prev.agent,
            openDisk,
            () => agent.pipeline.capacityAvailable(),
          );
          await again.node.start();
          again.node.adopt(handed);
          const i = agent.outputs.indexOf(predecessor);
          if (i !== -1) agent.outputs[i] = again;
          handed = [];
        });
      }
      const built = await buildOutput(container, spec as OutputSpec, next.agent, openDisk, () =>
        agent.pipeline.capacityAvailable(),
      );
      undo.push(async () => {
        const back = await built.node.detach();
        handed = back.length > 0 ? back : handed;
      });
      await built.node.start();
      built.node.adopt(handed);
      handed = [];
      newOutputs.set(spec, built);
    }
    for (const spec of procs.added)
      newProcessors.set(spec, await buildProcessor(container, spec as ProcessorSpec));
    const tags = defaultTags(next);
    for (const spec of ins.added) {
      const predecessor = ins.removed.find((i) => i.node.id.label === spec.id.label);
      if (predecessor !== undefined && !stoppedInputs.has(predecessor)) {
        // Same instance, new settings: it may hold a port the successor needs.
        predecessor.abort.abort();
        await predecessor.node.stop();
        stoppedInputs.add(predecessor);
        undo.push(async () => {
          const again = await buildInput(
            container,
            predecessor.spec as InputSpec,
            prev.agent,
            defaultTags(prev),
            agent.pipeline,
          );
          await again.node.start();
          const i = agent.inputs.indexOf(predecessor);
          if (i !== -1) agent.inputs[i] = again;
        });
      }
      const built = await buildInput(container, spec as InputSpec, next.agent, tags, agent.pipeline);
      await built.node.start();
      undo.push(async () => {
        built.abort.abort();
        await built.node.stop();
      });
      newInputs.set(spec, built);
    }
  } catch (e) {
    log.error(
      { err: e instanceof Error ? e.message : String(e) },
      'reload failed to start the new pieces; restoring the previous pipeline',
    );
    for (const u of undo.reverse()) {
      try {
        await u();
      } catch (err) {
        log.error({ err: err instanceof Error ? err.message : String(err) }, 'rollback step failed');
      }
    }
    throw e;
  }

  // Phase 2: swap the chain and outputs, then retire what is gone.
  const oldProcessors = agent.processors;
  agent.outputs = next.outputs.map((s) => outs.kept.get(s) ?? (newOutputs.get(s) as Built<RunningOutput>));
  agent.processors = next.processors.map(
    (s) => procs.kept.get(s) ?? (newProcessors.get(s) as Built<RunningProcessor>),
  );
  agent.inputs = next.inputs.map((s) => ins.kept.get(s) ?? (newInputs.get(s) as Built<RunningInput>));
  agent.config = next;
  agent.rewire();
  for (const p of newProcessors.values()) await agent.startProcessor(p.node);
  for (const p of procs.removed) {
    const at = oldProcessors.indexOf(p);
    await agent.stopProcessor(p, Math.min(at, agent.processors.length - 1));
  }
  for (const i of ins.removed) {
    if (!stoppedInputs.has(i)) {
      i.abort.abort();
      await i.node.stop();
    }
  }
  for (const o of outs.removed) {
    if (!detachedOutputs.has(o)) {
      await o.node.stop(next.agent.shutdown_timeout);
      o.abort.abort();
    }
  }

  const label = (b: { node: { id: { label: string } } }): string => b.node.id.label;
  summary.kept = [...outs.kept.values(), ...procs.kept.values(), ...ins.kept.values()].map(label);
  const replacedLabels = new Set([...detachedOutputs, ...stoppedInputs].map(label));
  for (const b of [...newOutputs.values(), ...newProcessors.values(), ...newInputs.values()]) {
    const l = label(b);
    (replacedLabels.has(l) || procs.removed.some((p) => label(p) === l)
      ? summary.replaced
      : summary.started
    ).push(l);
  }
  summary.stopped = [...outs.removed, ...procs.removed, ...ins.removed]
    .map(label)
    .filter((l) => !summary.replaced.includes(l));
  return summary;
}
