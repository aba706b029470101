/**
 * Builds running nodes from validated specs: one function per node kind. Each creates the
 * plugin through its factory with a context from the container, then wraps it.
 */
import path from 'node:path';
import type { DependencyContainer } from 'tsyringe';
import type { Logger } from 'pino';
import type { OutputBuffer } from '../buffer/types.ts';
import type { AgentSettings } from '../../config/schema.ts';
import type { InputSpec, OutputSpec, ProcessorSpec } from '../../config/validate.ts';
import { ErrorCode } from '../../model/errors/codes.ts';
import { VivaError } from '../../model/errors/errors.ts';
import { createPluginContext, Tokens } from '../../plugin/context.ts';
import type { Clock, PluginContext, PluginId } from '../../plugin/types.ts';
import { RunningInput, type InputSink } from '../running/input.ts';
import { RunningOutput } from '../running/output.ts';
import { RunningProcessor } from '../running/processor.ts';
import { InputStats, OutputStats, ProcessorStats } from '../running/stats.ts';
import type { Telemetry } from '../telemetry/telemetry.ts';

/** A node under construction keeps its abort controller so stopping it aborts its context. */
export interface Built<T> {
  node: T;
  abort: AbortController;
  /** Identity for live reload (see core/app/reconfigure.ts). */
  hash: string;
  /** The spec it was built from, to rebuild it when a reload rolls back. */
  spec?: InputSpec | ProcessorSpec | OutputSpec;
}

/** Creates a plugin instance with its own context and abort controller (a coded error when it fails). */
export async function create<I>(
  c: DependencyContainer,
  id: PluginId,
  make: (ctx: PluginContext) => I | Promise<I>,
): Promise<{ instance: I; abort: AbortController; ctx: PluginContext }> {
  const abort = new AbortController();
  const ctx = createPluginContext(c, id, abort.signal);
  try {
    return { instance: await make(ctx), abort, ctx };
  } catch (e) {
    throw new VivaError(
      ErrorCode.PLUGIN_START,
      `${id.label}: could not be created: ${e instanceof Error ? e.message : String(e)}`,
      { cause: e },
    );
  }
}

/** Builds a running input (not yet started). */
export async function buildInput(
  c: DependencyContainer,
  spec: InputSpec,
  agent: AgentSettings,
  defaultTags: Record<string, string>,
  sink: InputSink,
): Promise<Built<RunningInput>> {
  const { instance, abort, ctx } = await create(c, spec.id, (ctx) => spec.def.create(spec.config, ctx));
  const node = new RunningInput(
    {
      id: spec.id,
      common: spec.common,
      intervalMs: spec.common.interval ?? agent.interval,
      roundInterval: agent.round_interval,
      jitterMs: spec.common.collection_jitter ?? agent.collection_jitter,
      defaultTags,
      instance,
      log: ctx.log,
      stats: new InputStats(c.resolve<Telemetry>(Tokens.Telemetry), spec.id),
      signal: abort.signal,
    },
    sink,
  );
  return { node, abort, hash: spec.hash, spec };
}

/** Builds a running processor. */
export async function buildProcessor(
  c: DependencyContainer,
  spec: ProcessorSpec,
): Promise<Built<RunningProcessor>> {
  const { instance, abort, ctx } = await create(c, spec.id, (ctx) => spec.def.create(spec.config, ctx));
  const node = new RunningProcessor({
    id: spec.id,
    common: spec.common,
    instance,
    log: ctx.log,
    stats: new ProcessorStats(c.resolve<Telemetry>(Tokens.Telemetry), spec.id),
    clock: c.resolve<Clock>(Tokens.Clock),
    signal: abort.signal,
  });
  return { node, abort, hash: spec.hash, spec };
}

/** Opens a disk buffer for an output; injected by the composition of the buffer module. */
export type DiskBufferFactory = (opts: {
  dir: string;
  maxBytes: number;
  whenFull: 'drop_oldest' | 'block';
  fsync: 'always' | 'interval' | 'never';
  onDrop: (count: number, reason: string) => void;
  log: Logger;
}) => Promise<OutputBuffer>;

/** Directory of an output's disk buffer: stable across restarts for the same instance. */
export function bufferDir(agent: AgentSettings, spec: OutputSpec): string {
  return (
    spec.common.buffer_directory ??
    path.join(agent.data_dir, 'buffer', spec.id.label.replace(/[^A-Za-z0-9_.:-]/g, '_'))
  );
}

/** Builds a running output (not yet connected). */
export async function buildOutput(
  c: DependencyContainer,
  spec: OutputSpec,
  agent: AgentSettings,
  openDisk: DiskBufferFactory,
  onCapacity: () => void,
): Promise<Built<RunningOutput>> {
  const { instance, abort, ctx } = await create(c, spec.id, (ctx) => spec.def.create(spec.config, ctx));
  const stats = new OutputStats(c.resolve<Telemetry>(Tokens.Telemetry), spec.id);
  let buffer: OutputBuffer | undefined;
  if (spec.common.buffer_strategy === 'disk') {
    buffer = await openDisk({
      dir: bufferDir(agent, spec),
      maxBytes: spec.common.buffer_max_bytes,
      whenFull: spec.common.when_full,
      fsync: spec.common.buffer_fsync,
      onDrop: (n, reason) => {
        stats.dropped(n, reason);
        // A corrupt record found at replay (or read) is skipped: logged with its code.
        const code = reason === 'corrupt' ? { code: ErrorCode.BUFFER_CORRUPT } : {};
        ctx.log.warn({ count: n, reason, ...code }, 'disk buffer dropped metrics');
      },
      log: ctx.log,
    });
    if (buffer.length > 0) ctx.log.info({ count: buffer.length }, 'replaying metrics from the disk buffer');
  }
  const node = new RunningOutput({
    id: spec.id,
    common: spec.common,
    batchSize: spec.common.metric_batch_size ?? agent.metric_batch_size,
    bufferLimit: spec.common.metric_buffer_limit ?? agent.metric_buffer_limit,
    flushIntervalMs: spec.common.flush_interval ?? agent.flush_interval,
    flushJitterMs: spec.common.flush_jitter ?? agent.flush_jitter,
    instance,
    log: ctx.log,
    stats,
    buffer,
    onCapacity,
  });
  return { node, abort, hash: spec.hash, spec };
}
