/**
 * The agent runtime: builds the pipeline from a validated config, starts it outputs-first,
 * stops it inputs-first (drain processors, flush outputs), the whole stop within
 * `shutdown_timeout`: a plugin whose stop outlasts it is abandoned with a warning.
 */
import type { Logger } from 'pino';
import type { DependencyContainer } from 'tsyringe';
import { agentHostname } from '../config/schema.ts';
import type { ValidConfig } from '../config/validate.ts';
import {
  buildInput,
  buildOutput,
  buildProcessor,
  type Built,
  type DiskBufferFactory,
} from '../engine/pipeline/build.ts';
import { Pipeline } from '../engine/pipeline/pipeline.ts';
import type { RunningInput } from '../engine/running/input.ts';
import type { OutputHealth, RunningOutput } from '../engine/running/output.ts';
import type { RunningProcessor } from '../engine/running/processor.ts';
import type { Metric } from '../model/metric/metric.ts';

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

  constructor(config: ValidConfig, services: AgentServices) {
    this.config = config;
    this.services = services;
    this.pipeline = new Pipeline([], [], services.log);
  }

  get running(): boolean {
    return this.started;
  }

  /** Builds and starts everything; on failure stops what started and rethrows. */
  async start(opts: { startInputs?: boolean; outputs?: Built<RunningOutput>[] } = {}): Promise<void> {
    const { container } = this.services;
    const cfg = this.config;
    try {
      if (opts.outputs !== undefined) this.outputs = opts.outputs;
      else
        for (const spec of cfg.outputs)
          this.outputs.push(
            await buildOutput(container, spec, cfg.agent, this.services.openDisk, () =>
              this.pipeline.capacityAvailable(),
            ),
          );
      for (const o of this.outputs) await o.node.start();
      for (const spec of cfg.processors) this.processors.push(await buildProcessor(container, spec));
      this.rewire();
      for (const p of this.processors) await this.startProcessor(p.node);
      const tags = defaultTags(cfg);
      for (const spec of cfg.inputs)
        this.inputs.push(await buildInput(container, spec, cfg.agent, tags, this.pipeline));
      if (opts.startInputs !== false) for (const i of this.inputs) await i.node.start();
      this.started = true;
      this.services.log.info(
        { inputs: this.inputs.length, processors: this.processors.length, outputs: this.outputs.length },
        'agent started',
      );
    } catch (e) {
      await this.stop().catch(() => undefined);
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
  private async within<T>(until: number, what: string, work: Promise<T>): Promise<T | undefined> {
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

  /**
   * Stops inputs, drains processors into the outputs and flushes the outputs, all within
   * shutdown_timeout from now: each step gets what is left of it, and a plugin still stopping when
   * it runs out is abandoned (logged) so the stop ends on time. Outputs keep a tenth of what is
   * left (at most 1 s) for closing after their flush.
   */
  async stop(): Promise<void> {
    const log = this.services.log;
    const until = performance.now() + this.config.agent.shutdown_timeout;
    await Promise.all(
      this.inputs.map(async (i) => {
        i.abort.abort();
        try {
          await this.within(until, i.node.id.label, Promise.resolve(i.node.stop()));
        } catch (e) {
          log.warn(
            { plugin: i.node.id.label, err: e instanceof Error ? e.message : String(e) },
            'input stop failed',
          );
        }
      }),
    );
    this.pipeline.releaseParked();
    await this.within(until, 'pipeline', this.pipeline.idle());
    for (let k = 0; k < this.processors.length; k++) await this.stopProcessor(this.processors[k], k, until);
    const left = Math.max(0, until - performance.now());
    const flush = left - Math.min(1000, left / 10);
    await Promise.all(
      this.outputs.map(async (o) => {
        try {
          await this.within(until, o.node.id.label, o.node.stop(flush));
        } finally {
          o.abort.abort();
        }
      }),
    );
    this.inputs = [];
    this.processors = [];
    this.outputs = [];
    this.started = false;
    log.info('agent stopped');
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
