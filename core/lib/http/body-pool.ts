/**
 * Reusable buffers for request bodies of a known size. A write listener under load reads a body
 * of hundreds of KB every few milliseconds; gathered in chunks and concatenated, each body costs a
 * fresh allocation that lives until the garbage collector finds its wrapper dead, and a body whose
 * request spans two young-generation collections is promoted and held until the next full one. A
 * body copied into a pooled buffer as it arrives, and given back once parsed, reuses the same
 * memory request after request.
 *
 * Bounded: at most `maxFree` buffers wait in the pool, none larger than `maxBytes` (larger bodies
 * are read the ordinary way). Buffers are sized in powers of two, so bodies of similar sizes
 * share them.
 */

/** The smallest buffer the pool makes. */
const MIN_BYTES = 64 * 1024;

export class BodyPool {
  /** Largest body the pool serves. */
  readonly maxBytes: number;
  private readonly maxFree: number;
  private readonly free: ArrayBuffer[] = [];
  /** The buffers this pool made: only those come back into it. */
  private readonly made = new WeakSet<ArrayBuffer>();

  constructor(maxFree: number, maxBytes: number) {
    this.maxFree = maxFree;
    this.maxBytes = maxBytes;
  }

  /** Buffers waiting to be reused. */
  get size(): number {
    return this.free.length;
  }

  /** A buffer of exactly `len` bytes (len <= maxBytes), its contents undefined. */
  take(len: number): Buffer {
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const cap = this.free[i].byteLength;
      if (cap >= len && (best === -1 || cap < this.free[best].byteLength)) best = i;
    }
    if (best !== -1) {
      const ab = this.free[best];
      this.free[best] = this.free[this.free.length - 1];
      this.free.pop();
      return Buffer.from(ab, 0, len);
    }
    let cap = MIN_BYTES;
    while (cap < len) cap *= 2;
    const b = Buffer.allocUnsafeSlow(cap);
    this.made.add(b.buffer);
    return b.subarray(0, len);
  }

  /**
   * Gives back a buffer from take() once nothing refers to its bytes any more (others are
   * ignored). When the pool is full, the smallest buffer waiting goes to the garbage collector.
   */
  give(b: Buffer): void {
    const ab = b.buffer as ArrayBuffer;
    if (!this.made.has(ab) || this.free.includes(ab)) return;
    if (this.free.length < this.maxFree) {
      this.free.push(ab);
      return;
    }
    let smallest = 0;
    for (let i = 1; i < this.free.length; i++)
      if (this.free[i].byteLength < this.free[smallest].byteLength) smallest = i;
    if (this.free[smallest].byteLength < ab.byteLength) this.free[smallest] = ab;
  }
}
