/**
 * The agent runtime: builds the pipeline from a validated config, starts it outputs-first,
 * stops it inputs-first (drain processors, flush outputs), the whole stop within
 * `shutdown_timeout`: a plugin whose stop outlasts it is abandoned with a warning.
 */
import type { Logger } from 'pino';
import type { DependencyContainer } from 'tsyringe';
import { agentHostname } from '../config/schema.ts';
import type { ValidConfig } from '../config/validate.ts';
import { Graph } from '../engine/graph/graph.ts';
import type { Built, DiskBufferFactory } from '../engine/pipeline/build.ts';
import { Pipeline } from '../engine/pipeline/pipeline.ts';
import type { RunningInput } from '../engine/running/input.ts';
import type { OutputHealth, RunningOutput } from '../engine/running/output.ts';
import type { RunningProcessor } from '../engine/running/processor.ts';
import type { Metric } from '../model/metric/metric.ts';
import { agentNodes } from './agent-graph.ts';

export interface AgentServices {
  container: DependencyContainer;
  log: Logger;
  openDisk: DiskBufferFactory;
}

/** Default tags of every input: global tags plus the host tag. */
export function defaultTags(config: ValidConfig): Record<string, string> {
  const tags = { ...config.globalTags };
  if (!config.agent.omit_hostname && !('host' in tags)) tags.host = agentHostname(config.agent);
  return tags;
}

export class Agent {
  config: ValidConfig;
  readonly pipeline: Pipeline;
  inputs: Built<RunningInput>[] = [];
  processors: Built<RunningProcessor>[] = [];
  outputs: Built<RunningOutput>[] = [];
  private readonly services: AgentServices;
  private started = false;
  /** performance.now() time by which a stop must be over (set when a stop begins). */
  private until: number | undefined;

  constructor(config: ValidConfig, services: AgentServices) {
    this.config = config;
    this.services = services;
    this.pipeline = new Pipeline([], [], services.log);
  }

  get running(): boolean {
    return this.started;
  }

  /**
   * Builds and starts the pipeline graph (agent-graph.ts): outputs first, then the processors,
   * then the inputs. On failure what was built is stopped and the error rethrown.
   */
  async start(opts: { startInputs?: boolean; outputs?: Built<RunningOutput>[] } = {}): Promise<void> {
    try {
      const graph = await Graph.build(agentNodes(this, 'config', opts.outputs));
      await graph.start((n) => opts.startInputs === false && n.kind === 'source');
      this.started = true;
      this.services.log.info(
        { inputs: this.inputs.length, processors: this.processors.length, outputs: this.outputs.length },
        'agent started',
      );
    } catch (e) {
      // The graph stopped what it had built; nothing is left to stop.
      this.stopped();
      throw e;
    }
  }

  /**
   * Starts a stateful processor and its tick timer; what it emits enters the chain after its
   * current position (which a reload may change), waiting while a block-mode output is full.
   */
  async startProcessor(p: RunningProcessor): Promise<void> {
    const emit = (metrics: Metric[]): void => {
      const at = this.processors.findIndex((b) => b.node === p);
      this.pipeline.emitFrom(at === -1 ? this.processors.length - 1 : at, metrics, true);
    };
    if (p.instance.start !== undefined) await p.instance.start(emit);
    p.startTicking(emit);
  }

  /** Stops a processor and sends what it still held to the rest of the chain. */
  async stopProcessor(p: Built<RunningProcessor>, at: number, until = Infinity): Promise<void> {
    p.abort.abort();
    const stop = p.node.instance.stop;
    try {
      // A tick in progress finishes first: stop() never runs beside it.
      await this.within(until, p.node.id.label, p.node.stopTicking());
      if (stop === undefined) return;
      const rest = await this.within(until, p.node.id.label, Promise.resolve(stop.call(p.node.instance)));
      if (Array.isArray(rest)) this.pipeline.emitFrom(at, rest);
      await this.within(until, 'pipeline', this.pipeline.idle());
    } catch (e) {
      this.services.log.warn(
        { plugin: p.node.id.label, err: e instanceof Error ? e.message : String(e) },
        'processor stop failed',
      );
    }
  }

  /** Services the runtime was built with (used by live reload). */
  get deps(): AgentServices {
    return this.services;
  }

  /** Points the pipeline at the current processors and outputs. */
  rewire(): void {
    this.pipeline.rewire(
      this.processors.map((p) => p.node),
      this.outputs.map((o) => o.node),
    );
  }

  /** Gathers every polling input once (for --once and --test). */
  async gatherOnce(): Promise<void> {
    await Promise.all(this.inputs.map((i) => i.node.gatherOnce()));
  }

  /**
   * Resolves with `work`, or with undefined once `until` (performance.now() time) has passed,
   * logging that `what` was abandoned. A rejection of `work` is passed on.
   */
  async within<T>(until: number, what: string, work: Promise<T>): Promise<T | undefined> {
    const left = until - performance.now();
    if (left === Infinity) return work;
    let timer: NodeJS.Timeout | undefined;
    const late = Symbol('late');
    const expired = new Promise<typeof late>((resolve) => {
      timer = setTimeout(() => resolve(late), Math.max(0, left));
      timer.unref();
    });
    try {
      const r = await Promise.race([work, expired]);
      if (r !== late) return r;
      work.catch(() => undefined);
      this.services.log.warn(
        { plugin: what, shutdown_timeout: this.config.agent.shutdown_timeout },
        'did not stop within shutdown_timeout; abandoned',
      );
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The time (performance.now()) by which the stop under way must be over. */
  deadline(): number {
    this.until ??= performance.now() + this.config.agent.shutdown_timeout;
    return this.until;
  }

  /**
   * Stops the graph over the running instances upstream first: inputs, then the processors
   * (drained into the outputs), then the outputs (flushed), all within shutdown_timeout from now:
   * each step gets what is left of it, and a plugin still stopping when it runs out is abandoned
   * (logged) so the stop ends on time.
   */
  async stop(): Promise<void> {
    this.until = performance.now() + this.config.agent.shutdown_timeout;
    try {
      await Graph.running(agentNodes(this, 'running')).stop();
    } finally {
      this.stopped();
    }
  }

  private stopped(): void {
    this.inputs = [];
    this.processors = [];
    this.outputs = [];
    this.until = undefined;
    this.started = false;
    this.services.log.info('agent stopped');
  }
}

/** What /health and /ready say about an agent. */
export interface AgentHealth {
  /** False only when the agent is not running (the liveness answer: 503). */
  ok: boolean;
  /** `ok`, `degraded` (an output failing longer than the threshold) or `stopped`. */
  status: 'ok' | 'degraded' | 'stopped';
  outputs: OutputHealth[];
}

/**
 * The agent's health: each output's state; `detail` keeps the error messages (served only to a
 * caller with the admin token), otherwise only states and codes are given.
 */
export function agentHealth(agent: Agent, degradedAfterMs: number, detail: boolean): AgentHealth {
  const outputs = agent.outputs.map((o) => {
    const h = o.node.health(degradedAfterMs);
    if (!detail) delete h.error;
    return h;
  });
  const status = !agent.running ? 'stopped' : outputs.some((o) => o.state === 'degraded') ? 'degraded' : 'ok';
  return { ok: agent.running, status, outputs };
}
