/**
 * One followed file: an open handle (so a renamed file can still be drained), the read offset,
 * the line splitter, and the batches in flight. The persisted offset moves only when every
 * earlier batch of the file is acknowledged, so a restart resumes after the last delivered line.
 */
import fs from 'node:fs';
import { LineSplitter } from '../../../core/lib/listen/splitter.ts';
import type { PositionStore } from './positions.ts';

const CHUNK = 64 * 1024;

/** A batch in flight: the offset after its last line, and whether it was acknowledged. */
interface InFlight {
  end: number;
  done: boolean;
}

export class Follower {
  /** The path the file was opened by (a rotated file keeps it until closed). */
  readonly path: string;
  readonly dev: number;
  readonly ino: number;
  private readonly handle: fs.promises.FileHandle;
  private readonly store: PositionStore;
  private readonly maxLine: number;
  private readonly quoteAware: boolean;
  private splitter: LineSplitter;
  private inFlight: InFlight[] = [];
  /** Next byte to read. */
  offset: number;
  /** Offset after the last line handed on (queued in a batch). */
  private queued: number;
  /** Offset after the last acknowledged line. */
  private acked: number;
  /** Monotonic ms when data was last read (rotated files are closed after a quiet spell). */
  lastData: number;
  /** Closed for good (the file is gone): its saved position goes once all is acknowledged. */
  private forgotten = false;
  private handleClosed = false;

  constructor(
    path: string,
    handle: fs.promises.FileHandle,
    st: fs.Stats,
    offset: number,
    store: PositionStore,
    maxLine: number,
    quoteAware: boolean,
  ) {
    this.path = path;
    this.handle = handle;
    this.dev = st.dev;
    this.ino = st.ino;
    this.offset = offset;
    this.queued = offset;
    this.acked = offset;
    this.store = store;
    this.maxLine = maxLine;
    this.quoteAware = quoteAware;
    this.splitter = new LineSplitter(maxLine, quoteAware);
    this.lastData = performance.now();
  }

  /** Opens a file at an offset (clamped to its size). */
  static async open(
    path: string,
    offset: number | 'end',
    store: PositionStore,
    maxLine: number,
    quoteAware: boolean,
  ): Promise<Follower> {
    const handle = await fs.promises.open(path, 'r');
    try {
      const st = await handle.stat();
      const at = offset === 'end' ? st.size : offset > st.size ? 0 : offset;
      const f = new Follower(path, handle, st, at, store, maxLine, quoteAware);
      store.set({ path, dev: st.dev, ino: st.ino, offset: at });
      return f;
    } catch (e) {
      await handle.close();
      throw e;
    }
  }

  /** Reads one chunk of new data, or null at the end of the file. */
  async readChunk(): Promise<Buffer | null> {
    const buf = Buffer.allocUnsafe(CHUNK);
    const { bytesRead } = await this.handle.read(buf, 0, CHUNK, this.offset);
    if (bytesRead === 0) return null;
    this.offset += bytesRead;
    this.lastData = performance.now();
    return buf.subarray(0, bytesRead);
  }

  /** Splits a chunk into complete-line regions. */
  split(chunk: Buffer): { regions: Buffer[]; overlong: number } {
    return this.splitter.push(chunk);
  }

  /** Current size of the open file (a rename does not change it; a truncation does). */
  async size(): Promise<number> {
    return (await this.handle.stat()).size;
  }

  /** The file was truncated (copytruncate): read again from its start. */
  truncated(): void {
    this.offset = 0;
    this.queued = 0;
    this.acked = 0;
    // Acks of batches from before the truncation no longer move the position.
    for (const b of this.inFlight) b.done = true;
    this.inFlight = [];
    this.splitter = new LineSplitter(this.maxLine, this.quoteAware);
    this.store.set({ path: this.path, dev: this.dev, ino: this.ino, offset: 0 });
  }

  /**
   * Registers the lines read since the last call as a batch; returns its ack callback, or null
   * when no complete line was read. `empty` batches (nothing to push) settle at once.
   */
  queue(empty: boolean): ((delivered: boolean) => void) | null {
    const end = this.offset - this.splitter.pending;
    if (end <= this.queued) return null;
    this.queued = end;
    const b: InFlight = { end, done: empty };
    this.inFlight.push(b);
    const list = this.inFlight;
    if (empty) this.settle();
    return () => {
      if (b.done || list !== this.inFlight) return;
      b.done = true;
      this.settle();
    };
  }

  /** Moves the persisted offset past every batch acknowledged in order. */
  private settle(): void {
    let moved = false;
    while (this.inFlight.length > 0 && this.inFlight[0].done) {
      this.acked = (this.inFlight.shift() as InFlight).end;
      moved = true;
    }
    if (!moved) return;
    if (this.forgotten && this.inFlight.length === 0) this.store.delete(this.dev, this.ino);
    else this.store.set({ path: this.path, dev: this.dev, ino: this.ino, offset: this.acked });
  }

  /** Batches not yet acknowledged. */
  get unacked(): number {
    return this.inFlight.length;
  }

  /** Closes the handle; `forget` drops the saved position once everything is acknowledged. */
  async close(forget: boolean): Promise<void> {
    if (this.handleClosed) return;
    this.handleClosed = true;
    this.forgotten = forget;
    if (forget && this.inFlight.length === 0) this.store.delete(this.dev, this.ino);
    await this.handle.close();
  }
}
