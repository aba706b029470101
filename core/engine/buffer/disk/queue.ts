/**
 * DiskQueue: a segment write-ahead log of opaque records (each an encoded batch of `count`
 * metrics) with take / ack / nack and a persisted read position. Layout in segment.ts.
 *
 * Appends are synchronous writes; durability follows the fsync policy (sync.ts). Every open
 * starts a fresh segment, so a record is never appended behind a checkpoint that a power loss
 * may have left ahead of the data.
 */
import { closeSync, mkdirSync, openSync, readSync, rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { ErrorCode, VivaError } from '../../../model/errors/index.ts';
import type { DropHandler, WhenFull } from '../types.ts';
import { DONE, RecordList, TAKEN } from './records.ts';
import type { QueueRecord } from './records.ts';
import { scanSegments } from './scan.ts';
import type { RecoveryInfo } from './scan.ts';
import {
  MAX_RECORD_BYTES,
  RECORD_HEADER_BYTES,
  listSegments,
  lockDir,
  readCheckpoint,
  segmentPath,
  syncDir,
  unlockDir,
  writeCheckpoint,
  writeFrame,
} from './segment.ts';
import type { Position } from './segment.ts';
import { Syncer } from './sync.ts';

/** When appends reach stable storage: before append resolves, on a timer, or when the OS likes. */
export type FsyncPolicy = 'always' | 'interval' | 'never';

export interface DiskQueueOptions {
  /** Directory of the log; created when missing. One queue per directory. */
  dir: string;
  /** Roll to a new segment once the current one would exceed this. Default 8 MiB. */
  segmentBytes?: number;
  /** Bound on pending bytes (frames included). Default unbounded. */
  maxBytes?: number;
  /** What happens beyond maxBytes. Default drop_oldest. */
  whenFull?: WhenFull;
  /** Default 'interval'. */
  fsync?: FsyncPolicy;
  /** fsync period of the 'interval' policy. Default 1000 ms. */
  fsyncIntervalMs?: number;
  /** Told about every drop, in metrics: 'corrupt' (checksum) or 'buffer_full' (drop_oldest). */
  onDrop?: DropHandler;
}

const POLICIES: readonly FsyncPolicy[] = ['always', 'interval', 'never'];

function invalid(message: string): VivaError {
  return new VivaError(ErrorCode.CONFIG_INVALID, `disk buffer: ${message}`);
}

function positive(name: string, v: number): number {
  if (!(v > 0)) throw invalid(`${name} must be positive, got ${v}`);
  return v;
}

export class DiskQueue {
  /** What the scan on open found: pending records, corruption, a torn tail. */
  readonly recovery: RecoveryInfo;
  private readonly dir: string;
  private readonly segmentBytes: number;
  private readonly maxBytes: number;
  private readonly whenFull: WhenFull;
  private readonly policy: FsyncPolicy;
  private readonly onDrop: DropHandler;
  private readonly list = new RecordList();
  private readonly segments: number[];
  private readonly readFds = new Map<number, number>();
  private readonly syncer: Syncer;
  private readonly timer: NodeJS.Timeout | null = null;
  private writeId: number;
  private writeSize = 0;
  private metrics = 0;
  private pendingBytes = 0;
  private closed = false;

  private constructor(opts: DiskQueueOptions) {
    this.dir = opts.dir;
    this.segmentBytes = positive('segmentBytes', opts.segmentBytes ?? 8 << 20);
    this.maxBytes = positive('maxBytes', opts.maxBytes ?? Infinity);
    this.whenFull = opts.whenFull ?? 'drop_oldest';
    this.policy = opts.fsync ?? 'interval';
    this.onDrop = opts.onDrop ?? (() => undefined);
    const intervalMs = positive('fsyncIntervalMs', opts.fsyncIntervalMs ?? 1000);
    if (!POLICIES.includes(this.policy)) throw invalid(`unknown fsync policy "${this.policy}"`);
    if (this.whenFull !== 'drop_oldest' && this.whenFull !== 'block') {
      throw invalid(`unknown when_full "${this.whenFull as string}"`);
    }
    rmSync(join(this.dir, 'checkpoint.json.tmp'), { force: true });

    const from = readCheckpoint(this.dir);
    const found = listSegments(this.dir);
    // Segments wholly before the checkpoint were consumed; a crash came before their deletion.
    for (const id of found) if (from !== null && id < from.segment) unlinkSync(segmentPath(this.dir, id));
    this.segments = found.filter((id) => from === null || id >= from.segment);
    const scan = scanSegments(this.dir, this.segments, from);
    this.recovery = scan.info;
    for (const r of scan.records) this.list.push(r.segment, r.offset, r.size, r.count);
    this.metrics = scan.info.metrics;
    this.pendingBytes = scan.info.bytes;

    this.writeId = Math.max(from?.segment ?? 0, this.segments.at(-1) ?? 0) + 1;
    const fd = this.createSegment();
    this.syncer = new Syncer(fd);
    if (this.policy === 'interval') this.timer = setInterval(() => this.syncer.kick(), intervalMs).unref();
    this.advance(true);
    if (scan.info.corruptRecords > 0) this.onDrop(scan.info.corruptMetrics, 'corrupt');
  }

  /** Opens (and recovers) the log in `opts.dir`. */
  static open(opts: DiskQueueOptions): DiskQueue {
    mkdirSync(opts.dir, { recursive: true });
    const holder = lockDir(opts.dir);
    if (holder !== null) throw invalid(`${opts.dir} is in use by process ${holder}`);
    try {
      return new DiskQueue(opts);
    } catch (err) {
      unlockDir(opts.dir);
      throw err;
    }
  }

  /** Metrics pending (taken but unacknowledged included). */
  get length(): number {
    return this.metrics;
  }

  /** Bytes of the pending records on disk, frames included. */
  get bytes(): number {
    return this.pendingBytes;
  }

  /** Records pending (taken but unacknowledged included). */
  get records(): number {
    return this.list.pending;
  }

  /** In block mode: true once maxBytes is reached. */
  isFull(): boolean {
    return this.whenFull === 'block' && this.pendingBytes >= this.maxBytes;
  }

  /**
   * Appends one record of `count` metrics. Returns a promise (policy 'always') that resolves once
   * the record is fsynced; otherwise returns when the bytes are written to the file.
   */
  append(payload: Uint8Array, count: number): void | Promise<void> {
    this.assertOpen();
    if (payload.length > MAX_RECORD_BYTES) {
      throw new VivaError(
        ErrorCode.BUFFER_FULL,
        `disk buffer: a record of ${payload.length} bytes exceeds the maximum`,
      );
    }
    const size = RECORD_HEADER_BYTES + payload.length;
    if (this.writeSize > 0 && this.writeSize + size > this.segmentBytes) this.roll();
    writeFrame(this.syncer.currentFd, payload, this.writeSize);
    this.list.push(this.writeId, this.writeSize, size, count);
    this.writeSize += size;
    this.metrics += count;
    this.pendingBytes += size;
    this.syncer.dirty = true;
    if (this.whenFull === 'drop_oldest' && this.pendingBytes > this.maxBytes) this.dropOldest();
    if (this.policy === 'always') return this.syncer.durable();
  }

  /** The oldest records not yet taken, up to `maxCount` metrics (at least one record), or []. */
  take(maxCount: number): QueueRecord[] {
    this.assertOpen();
    return this.list.take(maxCount);
  }

  /** The payload of a taken record, or null when its checksum fails (then it is dropped). */
  read(rec: QueueRecord): Buffer | null {
    this.assertOpen();
    let fd = this.readFds.get(rec.segment);
    if (fd === undefined) {
      fd = openSync(segmentPath(this.dir, rec.segment), 'r');
      this.readFds.set(rec.segment, fd);
    }
    const frame = Buffer.allocUnsafe(rec.size);
    const n = readSync(fd, frame, 0, rec.size, rec.offset);
    const payload = frame.subarray(RECORD_HEADER_BYTES);
    const ok =
      n === rec.size && frame.readUInt32LE(0) === payload.length && frame.readUInt32LE(4) === crc32(payload);
    if (ok) return payload;
    this.discard([rec], 'corrupt');
    return null;
  }

  /** The records were delivered: the read position moves past every acknowledged prefix. */
  ack(recs: readonly QueueRecord[]): void {
    this.assertOpen();
    for (const r of recs) this.finish(r);
    this.advance(false);
  }

  /** Drops taken records for good (undecodable), counting them under `reason`. */
  discard(recs: readonly QueueRecord[], reason: string): void {
    let n = 0;
    for (const r of recs) if (r.state !== DONE) n += this.finish(r);
    if (n > 0) this.onDrop(n, reason);
    this.advance(false);
  }

  /** The records go back to the front, to be taken again in order. */
  nack(recs: readonly QueueRecord[]): void {
    for (const r of recs) if (r.state === TAKEN) this.list.release(r);
  }

  /** fsyncs, persists the read position and closes every file. Taken records stay pending. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== null) clearInterval(this.timer);
    await this.syncer.idle();
    this.syncer.closeSync();
    for (const fd of this.readFds.values()) closeSync(fd);
    this.readFds.clear();
    writeCheckpoint(this.dir, this.position(), true);
    unlockDir(this.dir);
    syncDir(this.dir);
  }

  private assertOpen(): void {
    if (this.closed) throw new VivaError(ErrorCode.BUFFER_FULL, `disk buffer ${this.dir} is closed`);
  }

  /** Marks a record done; returns its metric count (0 when it was done already). */
  private finish(r: QueueRecord): number {
    if (r.state === DONE || !this.list.owns(r)) return 0;
    this.list.finish(r);
    this.metrics -= r.count;
    this.pendingBytes -= r.size;
    return r.count;
  }

  private dropOldest(): void {
    let dropped = 0;
    while (this.pendingBytes > this.maxBytes) {
      const r = this.list.oldestReady();
      // The newest record always stays, even alone beyond the bound.
      if (r === null || this.list.isLast(r)) break;
      dropped += this.finish(r);
    }
    if (dropped > 0) {
      this.onDrop(dropped, 'buffer_full');
      this.advance(false);
    }
  }

  private position(): Position {
    const front = this.list.front();
    return front === null ? { segment: this.writeId, offset: this.writeSize } : front;
  }

  /** Pops finished records; when the front moved, persists it and deletes consumed segments. */
  private advance(force: boolean): void {
    if (!this.list.popDone() && !force) return;
    const pos = this.position();
    writeCheckpoint(this.dir, pos, false);
    while (this.segments.length > 0 && this.segments[0] < pos.segment) {
      const id = this.segments.shift() as number;
      const fd = this.readFds.get(id);
      if (fd !== undefined) closeSync(fd);
      this.readFds.delete(id);
      unlinkSync(segmentPath(this.dir, id));
    }
  }

  private createSegment(): number {
    const fd = openSync(segmentPath(this.dir, this.writeId), 'wx+');
    this.segments.push(this.writeId);
    if (this.policy !== 'never') syncDir(this.dir);
    return fd;
  }

  private roll(): void {
    this.writeId += 1;
    this.writeSize = 0;
    const fd = this.createSegment();
    if (this.policy === 'never') {
      closeSync(this.syncer.currentFd);
      this.syncer.replace(fd);
    } else {
      this.syncer.rotate(fd);
    }
  }
}
