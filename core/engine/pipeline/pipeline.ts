/**
 * The pipeline: inputs push batches; the processor chain runs in order; the result fans out to
 * every output through its filter into its buffer. Deliveries track acknowledgeable batches
 * across the chain and the outputs. Saturation (a full block-mode output) is reported back to
 * the sources.
 */
import type { Logger } from 'pino';
import { applyFilter } from '../filter/filter.ts';
import type { Metric } from '../../model/metric/metric.ts';
import type { AckCallback } from '../../plugin/types.ts';
import type { InputSink } from '../running/input.ts';
import type { RunningOutput } from '../running/output.ts';
import type { RunningProcessor } from '../running/processor.ts';
import { Delivery } from './delivery.ts';

interface Pending {
  metrics: Metric[];
  delivery: Delivery | null;
  at: number;
  from: number;
}

export class Pipeline implements InputSink {
  private processors: RunningProcessor[];
  private outputs: RunningOutput[];
  private readonly log: Logger;
  /** Batches waiting behind an asynchronous processor step, in arrival order. */
  private queue: Pending[] = [];
  private busy = false;
  private waiters: (() => void)[] = [];
  private idleWaiters: (() => void)[] = [];
  private waking = false;
  /** Timed processor emissions waiting for room (block-mode output full), in order. */
  private parked: Pending[] = [];

  constructor(processors: RunningProcessor[], outputs: RunningOutput[], log: Logger) {
    this.processors = processors;
    this.outputs = outputs;
    this.log = log;
  }

  /** Replaces the chain and outputs (live reload), keeping queued batches. */
  rewire(processors: RunningProcessor[], outputs: RunningOutput[]): void {
    this.processors = processors;
    this.outputs = outputs;
  }

  get saturated(): boolean {
    for (const o of this.outputs) if (o.full) return true;
    return false;
  }

  waitForCapacity(): Promise<void> {
    if (!this.saturated) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /**
   * Called by outputs when their buffer has room again. Sources resume on a macrotask: woken from
   * the output's write loop (a chain of microtasks), a fast source would refill the buffer and
   * ping-pong with the output forever, starving every socket and timer of the process. They
   * resume one per macrotask, each after the previous one had its turn to push: woken together,
   * every waiting source would push a batch into the room of one.
   */
  capacityAvailable(): void {
    if (this.saturated || this.waiters.length === 0 || this.waking) return;
    this.waking = true;
    setImmediate(() => {
      this.waking = false;
      if (this.saturated) return;
      this.waiters.shift()?.();
      this.capacityAvailable();
    });
  }

  push(metrics: Metric[], ack: AckCallback | undefined): boolean {
    const delivery = ack === undefined ? null : new Delivery(ack);
    this.enqueue({ metrics, delivery, at: performance.now(), from: 0 });
    return !this.saturated;
  }

  /**
   * Sends metrics emitted by processor `index` into the rest of the chain. A timed emission
   * (`wait`) takes part in back-pressure like any source: while an output in block mode is full it
   * waits here, and the waiting emissions go on one at a time as room is made. A processor's final
   * flush on stop does not wait.
   */
  emitFrom(index: number, metrics: Metric[], wait = false): void {
    if (metrics.length === 0) return;
    const p: Pending = { metrics, delivery: null, at: performance.now(), from: index + 1 };
    if (wait && (this.parked.length > 0 || this.saturated)) {
      this.parked.push(p);
      if (this.parked.length === 1) void this.sendParked();
      return;
    }
    this.enqueue(p);
  }

  private async sendParked(): Promise<void> {
    while (this.parked.length > 0) {
      while (this.saturated && this.parked.length > 0) await this.waitForCapacity();
      const p = this.parked.shift();
      if (p !== undefined) this.enqueue(p);
    }
  }

  /** Sends the waiting timed emissions at once (shutdown): the outputs count what they cannot take. */
  releaseParked(): void {
    const parked = this.parked;
    this.parked = [];
    for (const p of parked) this.enqueue(p);
  }

  private enqueue(p: Pending): void {
    if (this.busy) {
      this.queue.push(p);
      return;
    }
    this.run(p);
  }

  /** Runs one batch synchronously as far as it can; an async step parks the pipeline. */
  private run(p: Pending): void {
    let metrics = p.metrics;
    for (let i = p.from; i < this.processors.length; i++) {
      if (metrics.length === 0) break;
      const r = this.processors[i].process(metrics);
      if (r instanceof Promise) {
        this.busy = true;
        r.then(
          (out) => this.resume({ ...p, metrics: out, from: i + 1 }),
          (e: unknown) => {
            this.log.error({ err: e }, 'processor chain failed');
            this.resume({ ...p, from: i + 1 });
          },
        );
        return;
      }
      metrics = r;
    }
    this.fanOut(metrics, p.delivery, p.at);
  }

  private resume(p: Pending): void {
    this.busy = false;
    this.run(p);
    while (!this.busy && this.queue.length > 0) this.run(this.queue.shift() as Pending);
    if (!this.busy) {
      const w = this.idleWaiters;
      this.idleWaiters = [];
      for (const r of w) r();
    }
  }

  /** Resolves once no batch is inside an asynchronous processor step. */
  idle(): Promise<void> {
    if (!this.busy) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private fanOut(metrics: Metric[], delivery: Delivery | null, at: number): void {
    const outs = this.outputs;
    const shared = outs.length > 1;
    // A buffer that cannot store (a disk append failing with ENOSPC) throws: the other outputs
    // still get the batch, the delivery is settled, then the first error goes back to the source
    // (an HTTP listener answers 500; the failing output counted the drop).
    let failure: unknown = undefined;
    if (metrics.length > 0) {
      for (const o of outs) {
        const { kept } = applyFilter(o.filter, metrics, shared);
        if (kept.length === 0) continue;
        delivery?.retain();
        try {
          o.add(kept, delivery, at);
        } catch (e) {
          failure ??= e;
        }
      }
    }
    delivery?.release(true);
    if (failure !== undefined) throw failure;
  }
}
