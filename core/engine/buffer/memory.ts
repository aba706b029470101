/**
 * The memory buffer: a queue of batches bounded in metrics and bytes. Deliveries are released
 * when their metrics are written or dropped. Batches are taken from the front, one after another;
 * several may be in flight at once (an output that takes concurrent writes) and acknowledged in
 * any order: metrics leave the buffer, and their deliveries are released, once every batch taken
 * before them is acknowledged too. A batch given back (nack) is handed out again, whole and
 * before anything newer, unless nothing was taken after it: then its metrics are simply untaken.
 */
import type { Metric } from '../../model/metric/metric.ts';
import type { Delivery } from '../pipeline/delivery.ts';
import type { BufferBatch, DropHandler, HandedOver, OutputBuffer, WhenFull } from './types.ts';

interface Chunk {
  metrics: Metric[];
  /** Metrics of this chunk already removed from the front. */
  offset: number;
  delivery: Delivery | null;
  /** Estimated bytes of each metric, index for index with `metrics` (shared: replaced, not modified). */
  sizes: readonly number[];
}

/** The metrics of a chunk fully written (shared, never mutated). */
const SPENT: Metric[] = [];
const NO_SIZES: readonly number[] = [];

interface TakenBatch extends BufferBatch {
  /** How many metrics this batch covers, after those of the batches taken before it. */
  readonly count: number;
  /** Acknowledged, waiting for an older batch to be acknowledged too. */
  done: boolean;
  /** Given back (nack) while a newer batch is in flight: handed out again first. */
  returned: boolean;
}

/**
 * Rough in-memory size of a metric, string fields and tags by their length: enough to bound
 * memory (one metric with a 1 MiB string counts as 1 MiB, whatever its neighbours).
 */
export function estimateBytes(m: Metric): number {
  let n = 96 + m.name.length;
  for (const k in m.tags) n += 48 + k.length + m.tags[k].length;
  for (const k in m.fields) {
    const v = m.fields[k];
    n += 40 + k.length + (typeof v === 'string' ? v.length : 8);
  }
  return n;
}

/**
 * Per-metric sizes of a batch, computed once per fan-out: the pipeline hands one array to every
 * output in one synchronous loop, and nothing modifies a batch once it is handed over (see the
 * ownership note in types.ts), so the sizes stay valid for every buffer that receives it. The
 * last batch sized is remembered until the current task's microtasks run, no longer. (It was a
 * WeakMap by batch: V8's scavenger keeps a WeakMap's values as if strong, so the sizes of every
 * batch in flight at a scavenge were promoted at the next one, dead or not: 0.9 MB/s of garbage
 * in the old generation under `http-pipeline`, the growth that waited for a full GC.)
 */
let lastBatch: readonly Metric[] | null = null;
let lastSizes: readonly number[] = [];
function forgetLastBatch(): void {
  lastBatch = null;
  lastSizes = [];
}
function sizesOf(metrics: readonly Metric[]): readonly number[] {
  if (metrics === lastBatch) return lastSizes;
  const out = new Array<number>(metrics.length);
  for (let i = 0; i < metrics.length; i++) out[i] = estimateBytes(metrics[i]);
  if (lastBatch === null) queueMicrotask(forgetLastBatch);
  lastBatch = metrics;
  lastSizes = out;
  return out;
}

function sum(sizes: readonly number[], from: number, n: number): number {
  let b = 0;
  for (let i = from; i < from + n; i++) b += sizes[i];
  return b;
}

export class MemoryBuffer implements OutputBuffer {
  readonly kind = 'memory' as const;
  private chunks: Chunk[] = [];
  private head = 0;
  private count = 0;
  private byteCount = 0;
  /** Batches taken and not yet removed, oldest first; together they cover the front. */
  private taken: TakenBatch[] = [];
  /** Metrics the batches in `taken` cover. */
  private takenCount = 0;
  private readonly limit: number;
  private readonly maxBytes: number;
  private readonly whenFull: WhenFull;
  private readonly onDrop: DropHandler;

  constructor(opts: { limit: number; maxBytes: number; whenFull: WhenFull; onDrop: DropHandler }) {
    this.limit = opts.limit;
    this.maxBytes = opts.maxBytes;
    this.whenFull = opts.whenFull;
    this.onDrop = opts.onDrop;
  }

  get length(): number {
    return this.count;
  }

  get bytes(): number {
    return this.byteCount;
  }

  isFull(): boolean {
    return this.count >= this.limit || this.byteCount >= this.maxBytes;
  }

  add(metrics: Metric[], delivery: Delivery | null): void {
    if (metrics.length === 0) {
      delivery?.release(true);
      return;
    }
    const sizes = sizesOf(metrics);
    this.chunks.push({ metrics, offset: 0, delivery, sizes });
    this.count += metrics.length;
    this.byteCount += sum(sizes, 0, sizes.length);
    if (this.whenFull === 'drop_oldest') this.enforceBounds();
  }

  /** Drops the oldest metrics not in flight until within bounds. */
  private enforceBounds(): void {
    let dropped = 0;
    const inFlight = this.takenCount;
    while ((this.count > this.limit || this.byteCount > this.maxBytes) && this.count - inFlight > 0) {
      // Skip the chunks covered by the in-flight batch: find the first metric after it.
      const { index, offset } = this.locate(inFlight);
      const c = this.chunks[index];
      const available = c.metrics.length - offset;
      // The oldest metrics of this chunk until both bounds hold (at least one: one is exceeded).
      const excess = this.count - this.limit;
      let n = 0;
      let bytes = 0;
      while (n < available && (n < excess || this.byteCount - bytes > this.maxBytes)) {
        bytes += c.sizes[offset + n];
        n++;
      }
      if (offset === c.offset && n === available) {
        this.chunks.splice(index, 1);
        c.delivery?.release(false);
      } else if (offset === c.offset) {
        // The front of the chunk goes: move past it. The array itself may be shared with
        // other outputs (the fan-out hands the same batch to each): never trim it.
        c.offset += n;
      } else {
        // Behind the in-flight part of the chunk: a new array without the dropped metrics (the
        // taken batch keeps the old one, unchanged in the part it covers).
        c.metrics = c.metrics.slice(0, offset).concat(c.metrics.slice(offset + n));
        c.sizes = c.sizes.slice(0, offset).concat(c.sizes.slice(offset + n));
      }
      this.count -= n;
      this.byteCount -= bytes;
      dropped += n;
    }
    if (dropped > 0) this.onDrop(dropped, 'buffer_full');
  }

  /** Chunk index and in-chunk offset of the metric `skip` positions from the front. */
  private locate(skip: number): { index: number; offset: number } {
    let i = this.head;
    while (i < this.chunks.length) {
      const c = this.chunks[i];
      const avail = c.metrics.length - c.offset;
      if (skip < avail) return { index: i, offset: c.offset + skip };
      skip -= avail;
      i++;
    }
    return { index: i, offset: 0 };
  }

  take(max: number): BufferBatch | null {
    for (const t of this.taken) {
      if (!t.returned) continue;
      t.returned = false;
      return t;
    }
    const left = this.count - this.takenCount;
    if (left <= 0) return null;
    let need = Math.min(max, left);
    const { index, offset } = this.locate(this.takenCount);
    const first = this.chunks[index];
    let metrics: Metric[];
    if (
      offset === 0 &&
      first.metrics.length <= need &&
      (first.metrics.length === need || this.chunks.length - index === 1)
    ) {
      metrics = first.metrics;
    } else {
      metrics = [];
      for (let i = index, from = offset; need > 0 && i < this.chunks.length; i++) {
        const c = this.chunks[i];
        const n = Math.min(need, c.metrics.length - from);
        for (let j = 0; j < n; j++) metrics.push(c.metrics[from + j]);
        need -= n;
        if (i + 1 < this.chunks.length) from = this.chunks[i + 1].offset;
      }
    }
    const t: TakenBatch = { metrics, count: metrics.length, done: false, returned: false };
    this.taken.push(t);
    this.takenCount += t.count;
    return t;
  }

  ack(batch: BufferBatch): void {
    const t = batch as TakenBatch;
    if (!this.taken.includes(t) || t.done) return;
    t.done = true;
    t.returned = false;
    while (this.taken.length > 0 && this.taken[0].done) {
      const first = this.taken.shift() as TakenBatch;
      this.takenCount -= first.count;
      this.removeFront(first.count);
    }
    if (this.whenFull === 'drop_oldest') this.enforceBounds();
  }

  /** Removes `n` written metrics from the front, releasing the deliveries of the chunks passed. */
  private removeFront(n: number): void {
    while (n > 0) {
      const c = this.chunks[this.head];
      const avail = c.metrics.length - c.offset;
      const k = Math.min(n, avail);
      this.byteCount -= sum(c.sizes, c.offset, k);
      c.offset += k;
      n -= k;
      this.count -= k;
      if (c.offset === c.metrics.length) {
        c.delivery?.release(true);
        // Let the written metrics go now: the spent slot stays until the array is compacted
        // (up to 1024 chunks later), and holding its metrics that long turns short-lived
        // objects into old-generation garbage (GC time, RSS).
        c.metrics = SPENT;
        c.sizes = NO_SIZES;
        c.offset = 0;
        c.delivery = null;
        this.head++;
      }
    }
    if (this.head > 1024 || this.head === this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
  }

  /** The deliveries of the chunks a taken batch covers (to hold them across a partial retry). */
  deliveriesOf(batch: BufferBatch): Delivery[] {
    const out: Delivery[] = [];
    const t = batch as TakenBatch;
    const at = this.taken.indexOf(t);
    if (at === -1) return out;
    let before = 0;
    for (let k = 0; k < at; k++) before += this.taken[k].count;
    const { index, offset } = this.locate(before);
    let n = t.count;
    for (let i = index, from = offset; n > 0 && i < this.chunks.length; i++) {
      const c = this.chunks[i];
      n -= c.metrics.length - from;
      if (c.delivery !== null) out.push(c.delivery);
      if (i + 1 < this.chunks.length) from = this.chunks[i + 1].offset;
    }
    return out;
  }

  nack(batch: BufferBatch): void {
    const t = batch as TakenBatch;
    if (!this.taken.includes(t) || t.done) return;
    t.returned = true;
    // Nothing taken after them: the metrics are simply untaken (a later take may cover more).
    while (this.taken.length > 0 && this.taken[this.taken.length - 1].returned) {
      const last = this.taken.pop() as TakenBatch;
      this.takenCount -= last.count;
    }
  }

  /** Drops everything left (shutdown without a disk buffer), reporting the loss. */
  abandon(reason: string): number {
    const n = this.count;
    for (let i = this.head; i < this.chunks.length; i++) this.chunks[i].delivery?.release(false);
    this.chunks = [];
    this.head = 0;
    this.count = 0;
    this.byteCount = 0;
    this.taken = [];
    this.takenCount = 0;
    if (n > 0) this.onDrop(n, reason);
    return n;
  }

  /** Removes and returns every buffered batch with its delivery (hand-over on reload). */
  handOver(): HandedOver[] {
    const out = this.chunks
      .slice(this.head)
      .map((c) => ({ metrics: c.metrics.slice(c.offset), delivery: c.delivery }));
    this.chunks = [];
    this.head = 0;
    this.count = 0;
    this.byteCount = 0;
    this.taken = [];
    this.takenCount = 0;
    return out;
  }

  async close(): Promise<void> {}
}
