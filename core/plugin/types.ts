/**
 * The plugin contract. A plugin is a pure factory: name, config schema, create(config, ctx).
 * The running wrappers (core/engine/running) own scheduling, filters, batching, buffering, retry and
 * self-metrics; plugins only gather, transform or write.
 */
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { Metric } from '../model/metric/metric.ts';

export type PluginKind = 'input' | 'processor' | 'output';

/** Identity of one configured plugin instance. */
export interface PluginId {
  kind: PluginKind;
  name: string;
  /** The `alias` key, or undefined. */
  alias: string | undefined;
  /** Human label used in logs, metrics and errors: `inputs.cpu` or `inputs.cpu:alias`. */
  label: string;
}

/** Wall and monotonic clocks, injectable so tests and replay can drive time. */
export interface Clock {
  /** Wall-clock milliseconds since the epoch. */
  now(): number;
  /** Monotonic milliseconds (performance.now()). */
  monotonic(): number;
}

/** Self-metrics a plugin may record beyond the ones the wrapper records for it. */
export interface PluginMetrics {
  /** A monotonically increasing counter, attributed to this plugin instance. */
  counter(name: string, description: string): (value?: number, attrs?: Record<string, string>) => void;
  /** A gauge set to the latest value. */
  gauge(name: string, description: string): (value: number, attrs?: Record<string, string>) => void;
  /** A histogram of observations (seconds by convention). */
  histogram(name: string, description: string): (value: number, attrs?: Record<string, string>) => void;
}

/** What the core hands a plugin. */
export interface PluginContext {
  readonly id: PluginId;
  /** pino child logger tagged with the plugin instance. */
  readonly log: Logger;
  readonly metrics: PluginMetrics;
  readonly clock: Clock;
  /** Aborted when the plugin instance is stopping. */
  readonly signal: AbortSignal;
  /** A directory this instance may keep state in (positions, sketches); created on demand. */
  readonly stateDir: string;
  /** VIVA's own self-metrics as metrics (for the `internal` input). */
  selfMetrics(): Promise<Metric[]>;
}

/** Called with true once every output has delivered or durably buffered the batch. */
export type AckCallback = (delivered: boolean) => void;

/** Where inputs put what they gathered or received. */
export interface Accumulator {
  /**
   * Push a batch into the pipeline. `ack`, when given, fires once the batch is delivered or durably
   * buffered by every output (or dropped on purpose by a filter). Returns false when the pipeline
   * asks the source to slow down (block-mode buffer full): stop reading until waitForCapacity().
   */
  push(metrics: Metric[], ack?: AckCallback): boolean;
  /** Count and log bad input, saying where and why. Nothing else of the batch is lost. */
  reject(reason: string, detail?: Record<string, unknown>, count?: number): void;
  /** True while a block-mode output is full. */
  readonly saturated: boolean;
  /** Resolves when the pipeline has room again (immediately when not saturated). */
  waitForCapacity(): Promise<void>;
  /**
   * True when `ack` fires once the batch is durably stored, promptly (a collector's spool append):
   * a listener may then hold its answer until the ack. Absent or false: the ack may wait for
   * delivery to outputs (an agent), which can take as long as an output is down.
   */
  readonly durableAcks?: boolean;
}

/** An input: polling (`gather`, scheduled by the core) or a service (`start`/`stop`), or both. */
export interface InputInstance {
  gather?(acc: Accumulator): Promise<void> | void;
  start?(acc: Accumulator): Promise<void> | void;
  stop?(): Promise<void> | void;
}

/** Where a stateful processor sends what it emits outside of process() (see ProcessorInstance.start). */
export type Emit = (metrics: Metric[]) => void;

/**
 * A processor takes a batch and returns the batch to pass on (it may mutate, drop, add).
 *
 * A processor whose state must move on with no input (windows to close, timeouts, series to
 * forget) declares `tickInterval` and `tick`: the running wrapper owns its timer (one per
 * instance, never two ticks at once) and its time. Time is the processor's `clock` (a common key):
 * `wall`, the later of the agent's clock and the newest metric time seen, or `event`, the newest
 * metric time only. The wrapper passes that time to tick() and, for such a processor, to process()
 * too, and sends what tick() returns into the chain after the processor. The processor schedules
 * nothing itself.
 */
export interface ProcessorInstance {
  /** Anything else a processor must set up with a way to emit (no time-driven work: see tick). */
  start?(emit: Emit): Promise<void> | void;
  /**
   * Processes a batch. `nowMs` is the processor's time (ms since the epoch), given by the running
   * wrapper to a processor with `tick`; a direct caller (a test) may leave it out.
   */
  process(metrics: Metric[], nowMs?: number): Metric[] | Promise<Metric[]>;
  /** Milliseconds between ticks, read once after create(); absent or 0: no timer. */
  tickInterval?: number;
  /** Moves the state to `nowMs` (the processor's time); what it returns goes down the chain. */
  tick?(nowMs: number): Metric[] | Promise<Metric[]>;
  /** Drain: return what remains (e.g. open windows). Called after the last tick has finished. */
  stop?(): Promise<Metric[] | void> | Metric[] | void;
}

/**
 * An output writes batches. It must not mutate the metrics (they are shared between outputs).
 * Failure is a thrown WriteError (retryable, permanent or partial); any other error is retryable.
 */
export interface OutputInstance {
  connect?(): Promise<void>;
  write(metrics: Metric[]): Promise<void>;
  /**
   * Optional: how many write() calls the output takes at once (default 1). An output whose writes
   * share no per-write state declares more, and the core then writes the next batch while earlier
   * ones await their answer (batches still taken in order; a failed one is retried).
   */
  readonly maxConcurrentWrites?: number;
  /**
   * Optional: writes batches in the binary batch format (core/format/binary), `count` metrics in
   * all, exactly as `write` would write them decoded and concatenated (a partial WriteError's
   * indices count through the concatenation). The collector calls it, when a destination's data
   * needs no metric objects (no processors, no output filter), instead of decoding each batch.
   */
  writeBinary?(batches: readonly Uint8Array[], count: number): Promise<void>;
  close?(): Promise<void>;
}

/** Fields every plugin definition has. */
interface DefinitionBase<S extends z.ZodType> {
  name: string;
  /** One line for `viva plugins list`. */
  description: string;
  /** zod object schema of the plugin's own keys; strict, with defaults and .describe() docs. */
  config: S;
}

export interface InputDefinition<S extends z.ZodType = z.ZodType> extends DefinitionBase<S> {
  kind: 'input';
  create(config: z.output<S>, ctx: PluginContext): InputInstance | Promise<InputInstance>;
}
export interface ProcessorDefinition<S extends z.ZodType = z.ZodType> extends DefinitionBase<S> {
  kind: 'processor';
  create(config: z.output<S>, ctx: PluginContext): ProcessorInstance | Promise<ProcessorInstance>;
}
export interface OutputDefinition<S extends z.ZodType = z.ZodType> extends DefinitionBase<S> {
  kind: 'output';
  create(config: z.output<S>, ctx: PluginContext): OutputInstance | Promise<OutputInstance>;
}

export type AnyDefinition = InputDefinition | ProcessorDefinition | OutputDefinition;
