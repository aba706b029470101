/**
 * PROTOTYPE (benchmark only): a pool of worker threads that parse line protocol off the event
 * loop. A body crosses to a worker as raw bytes (transferred, not copied, when it owns its
 * ArrayBuffer); the parsed batch comes back in the binary batch format (core/format/binary),
 * transferred the same way, and is decoded on the main thread, where the pipeline runs.
 * Requests go to the worker with the fewest bytes outstanding.
 */
import { Worker } from 'node:worker_threads';
import { decodeBatch } from '../../../core/format/binary/index.ts';
import type { ParseError } from '../../../core/format/types.ts';
import type { Metric } from '../../../core/model/metric/metric.ts';

/** What a worker answers for one body. */
export interface WorkerReply {
  id: number;
  data: Uint8Array;
  errors: ParseError[];
  errorCount: number;
}

interface Pending {
  resolve(r: { metrics: Metric[]; errors: ParseError[]; errorCount: number }): void;
  reject(e: Error): void;
  worker: number;
  bytes: number;
}

/** Transfers a buffer's memory when it is the sole owner of it, else lets it be copied. */
export function transferList(b: Uint8Array): ArrayBuffer[] {
  const ab = b.buffer;
  return ab instanceof ArrayBuffer && b.byteOffset === 0 && b.byteLength === ab.byteLength ? [ab] : [];
}

export class ParsePool {
  private readonly workers: Worker[] = [];
  private readonly outstanding: number[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(size: number) {
    const script = new URL('./parse-worker.ts', import.meta.url);
    for (let i = 0; i < size; i++) {
      const w = new Worker(script);
      const idx = i;
      w.on('message', (r: WorkerReply) => this.reply(idx, r));
      w.on('error', (e) => this.failAll(idx, e));
      w.unref();
      this.workers.push(w);
      this.outstanding.push(0);
    }
  }

  private reply(worker: number, r: WorkerReply): void {
    const p = this.pending.get(r.id);
    if (p === undefined) return;
    this.pending.delete(r.id);
    this.outstanding[worker] -= p.bytes;
    p.resolve({ metrics: decodeBatch(r.data), errors: r.errors, errorCount: r.errorCount });
  }

  private failAll(worker: number, e: Error): void {
    for (const [id, p] of this.pending) {
      if (p.worker !== worker) continue;
      this.pending.delete(id);
      p.reject(e);
    }
  }

  /** Bytes outstanding at the least busy worker. */
  get leastOutstanding(): number {
    let min = Infinity;
    for (const n of this.outstanding) if (n < min) min = n;
    return min;
  }

  /** Parses a body in the least busy worker. */
  parse(
    body: Buffer,
    nowMs: number,
  ): Promise<{ metrics: Metric[]; errors: ParseError[]; errorCount: number }> {
    let w = 0;
    for (let i = 1; i < this.workers.length; i++) if (this.outstanding[i] < this.outstanding[w]) w = i;
    const id = this.nextId++;
    this.outstanding[w] += body.length;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, worker: w, bytes: body.length });
      this.workers[w].postMessage({ id, body, now: nowMs }, transferList(body));
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
