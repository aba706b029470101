/**
 * Line protocol parsing shared between the event loop and worker threads (a listener's
 * `parse_workers`). A body goes to a worker only while that worker has at most one body queued
 * (and under a bound of queued bytes); otherwise it is parsed inline, so the event loop and the
 * workers share the load and a worker never piles up latency. The body crosses in an ArrayBuffer
 * of its own (transferred); the worker answers with `encodeBatch(metrics)` (transferred), the
 * first errors and their count, decoded here. Workers start on the first body handed off; one
 * that dies is replaced, and the bodies it held are parsed inline: nothing is lost.
 */
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { decodeBatch } from '../../format/binary/index.ts';
import type { ParseOptions, ParseResult, Parser } from '../../format/types.ts';
import type { PluginContext } from '../../plugin/types.ts';
import type { WorkerData, WorkerReply, WorkerRequest } from './protocol.ts';

/** A parse result with the count of errors (a worker sends only the first ones). */
export interface PoolParseResult extends ParseResult {
  errorCount: number;
}

/** Bodies a worker may hold (one parsing, one queued) before bodies are parsed inline. */
const MAX_BODIES_PER_WORKER = 2;
/** Bytes of bodies a worker may hold before bodies are parsed inline. */
const DEFAULT_MAX_QUEUED_BYTES = 64 * 1024 * 1024;
/** Workers dying in a row before answering anything: then every body is parsed inline. */
const MAX_DEATHS_IN_A_ROW = 3;
/**
 * V8 limits of a worker: a small young generation (its semi-spaces are the worker's fixed
 * cost); the old generation is left to V8, as the worker's series cache lives there.
 */
const RESOURCE_LIMITS = { maxYoungGenerationSizeMb: 16, stackSizeMb: 4 };

export interface ParsePoolOptions {
  /** Worker threads (at least 1). */
  workers: number;
  /** influx_series_cache of each worker's own parser. */
  seriesCache: number;
  /** The event loop's parser: bodies not handed off, and those of a worker that died. */
  inline: Parser;
  /** Bytes a worker may hold before bodies are parsed inline (default 64 MiB). */
  maxQueuedBytes?: number;
  /** V8 limits of each worker (default: a 16 MB young generation); for measurements. */
  resourceLimits?: ResourceLimits;
  ctx: Pick<PluginContext, 'metrics' | 'log'>;
}

interface Slot {
  worker: Worker | undefined;
  bodies: number;
  bytes: number;
}

interface Pending {
  slot: Slot;
  body: Buffer;
  options: ParseOptions;
  resolve(r: PoolParseResult): void;
}

/** What the pool did so far (tests, logs). */
export interface ParsePoolStats {
  /** Bodies parsed by a worker. */
  offloaded: number;
  /** Bodies parsed on the event loop (the workers busy, or one that died). */
  inline: number;
  /** Workers that died while running (not stopped by close()). */
  failures: number;
  /** Workers running now. */
  running: number;
}

export class ParsePool {
  private readonly o: ParsePoolOptions;
  private readonly slots: Slot[] = [];
  private readonly pending = new Map<number, Pending>();
  private readonly maxQueuedBytes: number;
  private readonly offloadedCount: (n?: number) => void;
  private readonly failureCount: (n?: number) => void;
  private readonly counts = { offloaded: 0, inline: 0, failures: 0 };
  private nextId = 1;
  private deathsInARow = 0;
  private closed = false;

  constructor(o: ParsePoolOptions) {
    this.o = o;
    this.maxQueuedBytes = o.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES;
    for (let i = 0; i < Math.max(1, o.workers); i++)
      this.slots.push({ worker: undefined, bodies: 0, bytes: 0 });
    this.offloadedCount = o.ctx.metrics.counter(
      'parse_worker_bodies',
      'Request bodies parsed by a worker thread (parse_workers) instead of the event loop',
    );
    this.failureCount = o.ctx.metrics.counter(
      'parse_worker_failures',
      'Parse worker threads that died; their bodies were parsed on the event loop and a new one started',
    );
  }

  /** Parses a body in a worker when one has room, else at once on the event loop. */
  parse(body: Buffer, options: ParseOptions): PoolParseResult | Promise<PoolParseResult> {
    const slot = this.closed || this.deathsInARow >= MAX_DEATHS_IN_A_ROW ? undefined : this.leastBusy();
    if (
      slot === undefined ||
      slot.bodies >= MAX_BODIES_PER_WORKER ||
      slot.bytes + body.length > this.maxQueuedBytes
    )
      return this.inline(body, options);
    const worker = slot.worker ?? this.spawn(slot);
    const id = this.nextId++;
    slot.bodies++;
    slot.bytes += body.length;
    // A copy in an ArrayBuffer of its own: the body may sit in a pooled buffer or Node's slab.
    const copy = new Uint8Array(body.length);
    copy.set(body);
    const req: WorkerRequest = { id, body: copy, precision: options.precision, now: now(options) };
    return new Promise((resolve) => {
      this.pending.set(id, { slot, body, options, resolve });
      worker.postMessage(req, [copy.buffer]);
    });
  }

  private leastBusy(): Slot {
    let best = this.slots[0];
    for (const s of this.slots) if (s.bodies < best.bodies) best = s;
    return best;
  }

  private inline(body: Buffer, options: ParseOptions): PoolParseResult {
    this.counts.inline++;
    const r = this.o.inline.parse(body, options);
    return { metrics: r.metrics, errors: r.errors, errorCount: r.errors.length };
  }

  private spawn(slot: Slot): Worker {
    const data: WorkerData = { seriesCache: this.o.seriesCache };
    const w = new Worker(new URL('./worker.ts', import.meta.url), {
      workerData: data,
      resourceLimits: this.o.resourceLimits ?? RESOURCE_LIMITS,
    });
    slot.worker = w;
    w.on('message', (r: WorkerReply) => this.reply(r));
    w.on('error', (e) => {
      this.o.ctx.log.warn({ err: e.message }, 'parse worker failed; its bodies are parsed on the event loop');
    });
    w.on('exit', (code) => this.exited(slot, w, code));
    return w;
  }

  private reply(r: WorkerReply): void {
    const p = this.pending.get(r.id);
    if (p === undefined) return;
    this.pending.delete(r.id);
    this.deathsInARow = 0;
    p.slot.bodies--;
    p.slot.bytes -= p.body.length;
    this.counts.offloaded++;
    this.offloadedCount();
    p.resolve({ metrics: decodeBatch(r.data), errors: r.errors, errorCount: r.errorCount });
  }

  /** A worker ended: the bodies it held are parsed here; the next body handed off starts another. */
  private exited(slot: Slot, w: Worker, code: number): void {
    if (slot.worker === w) slot.worker = undefined;
    if (!this.closed) {
      this.counts.failures++;
      this.failureCount();
      this.deathsInARow++;
      this.o.ctx.log.warn(
        { code, in_flight: slot.bodies },
        'parse worker exited; a new one starts on demand',
      );
      if (this.deathsInARow === MAX_DEATHS_IN_A_ROW)
        this.o.ctx.log.error(
          { deaths: this.deathsInARow },
          'parse workers keep dying: every body is parsed on the event loop from now on',
        );
    }
    for (const [id, p] of this.pending) {
      if (p.slot !== slot) continue;
      this.pending.delete(id);
      p.resolve(this.inline(p.body, p.options));
    }
    slot.bodies = 0;
    slot.bytes = 0;
  }

  /** What the pool did so far. */
  stats(): ParsePoolStats {
    return { ...this.counts, running: this.slots.filter((s) => s.worker !== undefined).length };
  }

  /**
   * Tests: makes every running worker fail ('throw': an uncaught exception on its next message,
   * before any body sent after this call; 'terminate': worker.terminate()), as a bug or a kill
   * would. Resolves once they have exited.
   */
  async failWorkers(how: 'throw' | 'terminate'): Promise<void> {
    const exits: Promise<unknown>[] = [];
    for (const s of this.slots) {
      const w = s.worker;
      if (w === undefined) continue;
      exits.push(new Promise((resolve) => w.once('exit', resolve)));
      if (how === 'terminate') void w.terminate();
      else w.postMessage({ id: 0, body: new Uint8Array(0), precision: undefined, now: [0, 0], crash: true });
    }
    await Promise.all(exits);
  }

  /** Stops every worker; bodies they still held are parsed inline. Later bodies are parsed inline. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker?.terminate()));
  }
}

function now(o: ParseOptions): readonly [number, number] {
  if (o.defaultTime !== undefined) return o.defaultTime;
  const ms = Date.now();
  return [ms, 0];
}
