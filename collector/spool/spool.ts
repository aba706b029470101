/**
 * Spool: the collector's one durable ingest log. Appends go to segment files of framed records
 * (the agent's disk write-ahead log layout, core/engine/buffer/disk/); every destination reads
 * it through its own SpoolReader at its own position, so failover, outage and replay are
 * positions in one log. Layout and guarantees: README.md beside this file.
 */
import { closeSync, mkdirSync, openSync } from 'node:fs';
import type { Logger } from 'pino';
import {
  MAX_RECORD_BYTES,
  lockDir,
  segmentPath,
  syncDir,
  unlockDir,
  writeFrame,
} from '../../core/engine/buffer/disk/segment.ts';
import { Syncer } from '../../core/engine/buffer/disk/sync.ts';
import { ErrorCode, VivaError } from '../../core/model/errors/index.ts';
import {
  checkReaderName,
  cleanCursorTemps,
  cursorsDir,
  readAllCursors,
  readCursor,
  writeCursor,
} from './cursor.ts';
import type { Cursor } from './cursor.ts';
import { META_BYTES, OVERHEAD_BYTES, encodeMeta } from './frames.ts';
import type { Position, StoredRecord } from './frames.ts';
import { SpoolReader } from './reader.ts';
import type { ReaderHost } from './reader.ts';
import { recoverSegments } from './recover.ts';
import type { SegmentInfo } from './recover.ts';
import { SegmentSet } from './segments.ts';

/** When appends reach stable storage: before append resolves, on a timer, or at close only. */
export type SpoolFsync = 'always' | 'interval' | 'never';

export interface SpoolOptions {
  dir: string;
  /** isFull() once bytes on disk >= maxBytes. */
  maxBytes: number;
  fsync: SpoolFsync;
  /** fsync period of 'interval'. Default 1000. */
  fsyncIntervalMs?: number;
  /**
   * A new segment once the current one would pass this, and on every open. Default 64 MiB, or
   * maxBytes / 4 when smaller, so that what readers passed can be deleted before the spool is full.
   */
  segmentBytes?: number;
  log: Logger;
  /** Corrupt or torn records found at open or read (each counted once per process). */
  onCorrupt?: (records: number, detail: string) => void;
  /**
   * A reader's cursor file is rewritten at most once per this many ms, however many commits come
   * meanwhile (a commit after a quiet period is written on the next turn of the event loop): a
   * crash re-delivers at most what was committed in the last period. Default CURSOR_WRITE_MS.
   */
  cursorWriteMs?: number;
}

/** Default of SpoolOptions.cursorWriteMs. */
export const CURSOR_WRITE_MS = 100;

/** What trim() deleted: records and bytes, and per open reader the records it had not committed. */
export interface TrimResult {
  records: number;
  bytes: number;
  readers: Record<string, number>;
  /** Seq range and append time of the first deleted record (null when nothing was deleted). */
  firstSeq: number | null;
  lastSeq: number | null;
  firstAppendedAt: number | null;
}

const POLICIES: readonly SpoolFsync[] = ['always', 'interval', 'never'];

function invalid(message: string): VivaError {
  return new VivaError(ErrorCode.CONFIG_INVALID, `spool: ${message}`);
}

function positive(name: string, v: number): number {
  if (!(v > 0)) throw invalid(`${name} must be positive, got ${v}`);
  return v;
}

export class Spool implements ReaderHost {
  private readonly dir: string;
  private readonly segmentBytes: number;
  /** The size at which isFull() holds. */
  readonly maxBytes: number;
  private readonly policy: SpoolFsync;
  private readonly log: Logger;
  private readonly onCorrupt: (records: number, detail: string) => void;
  private readonly segs: SegmentSet;
  private readonly readers = new Map<string, SpoolReader>();
  private readonly syncer: Syncer;
  private readonly timer: NodeJS.Timeout | null = null;
  private waiters = new Set<() => void>();
  private flushTimer: NodeJS.Immediate | null = null;
  /** Writes the cursors committed since the last write, cursorWriteMs after it. */
  private cursorTimer: NodeJS.Timeout | null = null;
  private readonly cursorWriteMs: number;
  /** performance.now() of the last write of moved cursors. */
  private cursorsWrittenAt = -Infinity;
  private writeId: number;
  private nextSeq: number;
  private closedFlag = false;

  private constructor(opts: SpoolOptions) {
    this.dir = opts.dir;
    this.maxBytes = positive('maxBytes', opts.maxBytes);
    // The segment being written is never deleted, so by default it stays well under maxBytes:
    // otherwise a spool filled to maxBytes stays full (ingest answers 429 forever) after every
    // reader passed it.
    this.segmentBytes = positive(
      'segmentBytes',
      opts.segmentBytes ?? Math.min(64 << 20, Math.max(1, Math.floor(this.maxBytes / 4))),
    );
    this.policy = opts.fsync;
    if (!POLICIES.includes(this.policy)) throw invalid(`unknown fsync policy "${this.policy as string}"`);
    const intervalMs = positive('fsyncIntervalMs', opts.fsyncIntervalMs ?? 1000);
    this.cursorWriteMs = opts.cursorWriteMs ?? CURSOR_WRITE_MS;
    if (!(this.cursorWriteMs >= 0)) throw invalid(`cursorWriteMs must be >= 0, got ${this.cursorWriteMs}`);
    this.log = opts.log;
    this.onCorrupt = opts.onCorrupt ?? (() => undefined);
    mkdirSync(cursorsDir(this.dir), { recursive: true });
    cleanCursorTemps(this.dir);

    const found = recoverSegments(this.dir);
    let cursorSegment = 0;
    let cursorSeq = 0;
    for (const c of readAllCursors(this.dir).values()) {
      cursorSegment = Math.max(cursorSegment, c.segment);
      cursorSeq = Math.max(cursorSeq, c.seq);
    }
    // A cursor may hold the last seq when every segment holding records was deleted.
    this.nextSeq = Math.max(found.lastSeq, cursorSeq) + 1;
    this.segs = new SegmentSet(this.dir, found.segments, this.log, this.onCorrupt);
    this.writeId = Math.max(this.segs.list.at(-1)?.id ?? 0, cursorSegment) + 1;
    this.syncer = new Syncer(this.createSegment());
    if (this.policy === 'interval') this.timer = setInterval(() => this.syncer.kick(), intervalMs).unref();
    if (found.torn !== null) {
      const { segment, bytes } = found.torn;
      this.log.warn({ dir: this.dir, segment, bytes }, 'spool cut an incomplete record at its tail');
      this.onCorrupt(1, `torn tail of ${bytes} bytes cut from segment ${segment}`);
    }
  }

  /** Opens (and recovers) the spool in `opts.dir`, taking the directory for this process. */
  static open(opts: SpoolOptions): Spool {
    mkdirSync(opts.dir, { recursive: true });
    const holder = lockDir(opts.dir);
    if (holder !== null) throw invalid(`${opts.dir} is in use by process ${holder}`);
    try {
      return new Spool(opts);
    } catch (err) {
      unlockDir(opts.dir);
      throw err;
    }
  }

  /** Bytes of the segments on disk. */
  get bytes(): number {
    return this.segs.bytes;
  }

  /** Records on disk not yet passed by every open reader (all records on disk when none is open). */
  get records(): number {
    let committed = Infinity;
    for (const r of this.readers.values()) committed = Math.min(committed, r.cursor.seq);
    if (committed === Infinity)
      committed = (this.segs.peek({ segment: this.segs.list[0].id, offset: 0 })?.seq ?? this.nextSeq) - 1;
    return Math.max(0, this.lastSeq - committed);
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  /** True once the segments on disk reach maxBytes (ingest then answers 429). */
  isFull(): boolean {
    return this.segs.bytes >= this.maxBytes;
  }

  /**
   * Appends one record. Resolves once written (fsync 'interval' or 'never') or once an fsync
   * started after the write completed ('always'; concurrent appends share one). Rejects on I/O
   * error, leaving nothing half-written visible.
   */
  append(payload: Uint8Array | readonly Uint8Array[]): Promise<void> {
    if (this.closedFlag)
      return Promise.reject(new VivaError(ErrorCode.BUFFER_FULL, `spool ${this.dir} is closed`));
    const parts = payload instanceof Uint8Array ? [payload] : payload;
    let length = 0;
    for (const p of parts) length += p.length;
    if (length + META_BYTES > MAX_RECORD_BYTES) {
      return Promise.reject(
        new VivaError(ErrorCode.BUFFER_FULL, `spool: a record of ${length} bytes exceeds the maximum`),
      );
    }
    const size = OVERHEAD_BYTES + length;
    const seg = this.segs.newest;
    try {
      if (seg.size > 0 && seg.size + size > this.segmentBytes) return this.rollAndAppend(parts);
      writeFrame(this.syncer.currentFd, [encodeMeta(this.nextSeq, Date.now()), ...parts], seg.size);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    this.nextSeq += 1;
    this.segs.grow(size);
    this.syncer.dirty = true;
    this.wake();
    return this.policy === 'always' ? this.syncer.durable() : Promise.resolve();
  }

  /**
   * Opens (or creates) the reader `name`, whose cursor is `<dir>/cursors/<name>.json`. A new
   * reader starts at `from`; an existing cursor resumes where it was committed.
   */
  reader(name: string, from: 'oldest' | 'newest' = 'oldest'): SpoolReader {
    this.assertOpen();
    checkReaderName(name);
    if (this.readers.has(name)) throw invalid(`reader "${name}" is open already`);
    const saved = readCursor(this.dir, name);
    let cursor: Cursor;
    if (saved !== null) cursor = this.checkCursor(name, saved);
    else if (from === 'newest') cursor = { ...this.segs.end(), seq: this.lastSeq };
    else cursor = this.cursorAt({ segment: this.segs.list[0].id, offset: 0 });
    const reader = new SpoolReader(this, name, cursor);
    this.readers.set(name, reader);
    writeCursor(this.dir, name, cursor, this.policy === 'always');
    reader.dirty = false;
    return reader;
  }

  /**
   * Retention: deletes the oldest segments while the spool holds more than `maxBytes` or while a
   * segment's records are all older than `maxAgeMs` (the segment being written always stays).
   * Open readers whose cursor was in a deleted segment move to the next record; what each lost
   * is reported (readers not open now are moved when next opened, see reader()).
   */
  trim(maxBytes: number, maxAgeMs: number): TrimResult {
    this.assertOpen();
    const out: TrimResult = {
      records: 0,
      bytes: 0,
      readers: {},
      firstSeq: null,
      lastSeq: null,
      firstAppendedAt: null,
    };
    const oldest = Date.now() - maxAgeMs;
    while (this.segs.list.length > 1) {
      const [seg, next] = this.segs.list;
      const nextHead = this.segs.peek({ segment: next.id, offset: 0 });
      const tooOld = (nextHead?.appendedAt ?? Infinity) < oldest;
      if (!(this.segs.bytes > maxBytes) && !tooOld) break;
      const head = this.segs.peek({ segment: seg.id, offset: 0 });
      const firstSeq = head?.seq ?? nextHead?.seq ?? this.nextSeq;
      const after = this.cursorAt({ segment: next.id, offset: 0 });
      out.records += Math.max(0, after.seq + 1 - firstSeq);
      out.firstSeq ??= firstSeq;
      out.firstAppendedAt ??= head?.appendedAt ?? null;
      out.lastSeq = after.seq;
      out.bytes += seg.size;
      for (const r of this.readers.values()) {
        if (r.cursor.segment > seg.id) continue;
        const lost = Math.max(0, after.seq - r.cursor.seq);
        out.readers[r.name] = (out.readers[r.name] ?? 0) + lost;
        r.reset(after);
      }
      this.syncCursors();
      this.segs.removeOldest();
    }
    // The caller (retention.ts) counts and logs what was deleted, throttled.
    return out;
  }

  /** fsyncs, persists cursors, closes files and unlocks. Pending reads resolve []. */
  async close(): Promise<void> {
    if (this.closedFlag) return;
    this.closedFlag = true;
    if (this.timer !== null) clearInterval(this.timer);
    if (this.flushTimer !== null) clearImmediate(this.flushTimer);
    if (this.cursorTimer !== null) clearTimeout(this.cursorTimer);
    this.wake();
    await this.syncer.idle();
    this.syncer.closeSync();
    for (const r of this.readers.values()) writeCursor(this.dir, r.name, r.cursor, true);
    this.deletePassed();
    this.readers.clear();
    this.segs.close();
    unlockDir(this.dir);
    syncDir(this.dir);
  }

  readFrom(pos: Position, maxRecords: number, maxBytes: number): { records: StoredRecord[]; pos: Position } {
    return this.segs.readFrom(pos, maxRecords, maxBytes);
  }

  bytesFrom(pos: Position): number {
    return this.segs.bytesFrom(pos);
  }

  waitForAppend(signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.closedFlag || signal?.aborted === true) {
        resolve();
        return;
      }
      const done = (): void => {
        this.waiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      this.waiters.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  appendedAtOf(pos: Position): number | null {
    return this.segs.peek(pos)?.appendedAt ?? null;
  }

  committed(_reader: SpoolReader): void {
    this.flushTimer ??= setImmediate(() => this.flush());
  }

  released(reader: SpoolReader): void {
    if (this.closedFlag || this.readers.get(reader.name) !== reader) return;
    this.readers.delete(reader.name);
    reader.dirty = true;
    this.flushReaders([reader]);
    this.flush();
    this.wake();
  }

  private assertOpen(): void {
    if (this.closedFlag) throw new VivaError(ErrorCode.BUFFER_FULL, `spool ${this.dir} is closed`);
  }

  /** A cursor at `pos` with nothing after it committed. */
  private cursorAt(pos: Position): Cursor {
    return { ...pos, seq: (this.segs.peek(pos)?.seq ?? this.nextSeq) - 1 };
  }

  /** A saved cursor, moved to the next record when the area it points to is gone. */
  private checkCursor(name: string, saved: Cursor): Cursor {
    const seg = this.segs.list.find((s) => s.id >= saved.segment) as SegmentInfo;
    if (seg.id === saved.segment && saved.offset <= seg.size) return saved;
    const i = this.segs.list.indexOf(seg);
    const next = seg.id === saved.segment ? this.segs.list[i + 1] : seg;
    const moved = this.cursorAt({ segment: next.id, offset: 0 });
    const lost = Math.max(0, moved.seq - saved.seq);
    this.log.warn(
      { dir: this.dir, reader: name, from: saved, to: moved, records: lost },
      'spool cursor pointed into a deleted or cut area: moved to the next record',
    );
    if (lost > 0)
      this.onCorrupt(lost, `reader ${name} skipped ${lost} records its cursor pointed to (deleted or cut)`);
    return moved;
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = new Set();
    for (const w of waiters) w();
  }

  /** Persists moved cursors, then deletes the segments every open reader has passed. */
  private flush(): void {
    if (this.flushTimer !== null) clearImmediate(this.flushTimer);
    this.flushTimer = null;
    if (this.closedFlag) return;
    try {
      this.deletePassed();
      const wait = this.cursorsWrittenAt + this.cursorWriteMs - performance.now();
      if (wait <= 0) this.writeMovedCursors();
      else this.cursorTimer ??= setTimeout(() => this.writeMovedCursors(), wait);
    } catch (err) {
      this.log.error({ dir: this.dir, err }, 'spool could not persist a cursor or delete a segment');
    }
  }

  /** Writes the open readers' moved cursors now. */
  private writeMovedCursors(): void {
    if (this.cursorTimer !== null) clearTimeout(this.cursorTimer);
    this.cursorTimer = null;
    if (this.closedFlag) return;
    this.cursorsWrittenAt = performance.now();
    try {
      this.flushReaders(this.readers.values());
    } catch (err) {
      this.log.error({ dir: this.dir, err }, 'spool could not persist a cursor');
    }
  }

  /** Writes moved cursors (no fsync: a commit lost to a power loss only means a redelivery). */
  private flushReaders(readers: Iterable<SpoolReader>): void {
    for (const r of readers) {
      if (!r.dirty) continue;
      writeCursor(this.dir, r.name, r.cursor, false);
      r.dirty = false;
    }
  }

  /** Makes the open readers' cursors durable: done once before segments they release are deleted. */
  private syncCursors(): void {
    const durable = this.policy !== 'never';
    for (const r of this.readers.values()) {
      writeCursor(this.dir, r.name, r.cursor, durable);
      r.dirty = false;
    }
    if (durable) syncDir(cursorsDir(this.dir));
  }

  /** Deletes the oldest segments while every open reader's committed cursor is past them. */
  private deletePassed(): void {
    if (this.readers.size === 0) return;
    let n = 0;
    for (const seg of this.segs.list.slice(0, -1)) {
      if (!this.allPassed(seg)) break;
      n += 1;
    }
    if (n === 0) return;
    this.syncCursors();
    for (let i = 0; i < n; i++) this.segs.removeOldest();
  }

  private allPassed(seg: SegmentInfo): boolean {
    for (const r of this.readers.values()) {
      const c = r.cursor;
      if (c.segment < seg.id || (c.segment === seg.id && c.offset < seg.size)) return false;
    }
    return true;
  }

  private createSegment(): number {
    const fd = openSync(segmentPath(this.dir, this.writeId), 'wx+');
    this.segs.list.push({ id: this.writeId, size: 0 });
    if (this.policy !== 'never') syncDir(this.dir);
    return fd;
  }

  /** Starts the next segment (created before anything changes, so a failure leaves all as it was). */
  private rollAndAppend(payload: readonly Uint8Array[]): Promise<void> {
    this.writeId += 1;
    let fd: number;
    try {
      fd = this.createSegment();
    } catch (err) {
      this.writeId -= 1;
      throw err;
    }
    if (this.policy === 'never') {
      closeSync(this.syncer.currentFd);
      this.syncer.replace(fd);
    } else {
      this.syncer.rotate(fd);
    }
    return this.append(payload);
  }
}
