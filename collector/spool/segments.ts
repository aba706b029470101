/**
 * The spool's segment files as a set: their sizes (the bounded in-memory index), reading records
 * across them in chunks, peeking at a record's header, deleting the oldest. Corruption met while
 * reading is logged and reported once per record, however many readers meet it.
 */
import { closeSync, openSync, readSync, unlinkSync } from 'node:fs';
import type { Logger } from 'pino';
import { segmentPath } from '../../core/engine/buffer/disk/segment.ts';
import { OVERHEAD_BYTES, decodeMeta, plausibleLength, readChunk } from './frames.ts';
import type { ChunkResult, Position, StoredRecord } from './frames.ts';
import type { SegmentInfo } from './recover.ts';

export class SegmentSet {
  /** Segments on disk, ascending; the last one is being written. */
  readonly list: SegmentInfo[];
  private readonly dir: string;
  private readonly log: Logger;
  private readonly onCorrupt: (records: number, detail: string) => void;
  private readonly readFds = new Map<number, number>();
  /** Offsets of corrupt records already reported, per segment, so two readers count one loss once. */
  private readonly corruptSeen = new Map<number, Set<number>>();
  private total: number;

  constructor(
    dir: string,
    list: SegmentInfo[],
    log: Logger,
    onCorrupt: (records: number, detail: string) => void,
  ) {
    this.dir = dir;
    this.list = list;
    this.log = log;
    this.onCorrupt = onCorrupt;
    this.total = list.reduce((n, s) => n + s.size, 0);
  }

  /** Bytes of every segment. */
  get bytes(): number {
    return this.total;
  }

  /** The segment being written. */
  get newest(): SegmentInfo {
    return this.list[this.list.length - 1];
  }

  /** The end of what was written. */
  end(): Position {
    return { segment: this.newest.id, offset: this.newest.size };
  }

  /** A new (empty, just created) newest segment. */
  add(id: number): void {
    this.list.push({ id, size: 0 });
  }

  /** `bytes` were fully written to the newest segment. */
  grow(bytes: number): void {
    this.newest.size += bytes;
    this.total += bytes;
  }

  /** Records from `pos` across segments, up to the limits or the end of what was written. */
  readFrom(pos: Position, maxRecords: number, maxBytes: number): { records: StoredRecord[]; pos: Position } {
    let p = pos;
    const records: StoredRecord[] = [];
    let bytes = 0;
    while (records.length < maxRecords && bytes < maxBytes) {
      const i = this.list.findIndex((s) => s.id >= p.segment);
      const seg = this.list[i];
      if (seg.id !== p.segment) p = { segment: seg.id, offset: 0 };
      if (p.offset >= seg.size) {
        if (i === this.list.length - 1) break;
        p = { segment: this.list[i + 1].id, offset: 0 };
        continue;
      }
      const left = maxRecords - records.length;
      const got = readChunk(this.readFd(seg.id), seg.id, p.offset, seg.size, left, maxBytes - bytes);
      this.reportCorrupt(seg.id, got.corrupt);
      p = { segment: seg.id, offset: got.next };
      for (const r of got.records) {
        records.push(r);
        bytes += r.payload.length;
      }
    }
    return { records, pos: p };
  }

  /** Bytes written from `pos` to the end. */
  bytesFrom(pos: Position): number {
    let n = 0;
    for (const s of this.list) {
      if (s.id > pos.segment) n += s.size;
      else if (s.id === pos.segment) n += Math.max(0, s.size - pos.offset);
    }
    return n;
  }

  /** seq and appendedAt of the first record at or after `pos`, from its header; null at the end. */
  peek(pos: Position): { seq: number; appendedAt: number } | null {
    const head = Buffer.alloc(OVERHEAD_BYTES);
    for (const s of this.list) {
      if (s.id < pos.segment) continue;
      const offset = s.id === pos.segment ? pos.offset : 0;
      if (offset + OVERHEAD_BYTES > s.size) continue;
      const got = readSync(this.readFd(s.id), head, 0, OVERHEAD_BYTES, offset);
      if (got === OVERHEAD_BYTES && plausibleLength(head.readUInt32LE(0)))
        return decodeMeta(head.subarray(8));
    }
    return null;
  }

  /** Deletes the oldest segment file. */
  removeOldest(): void {
    const seg = this.list.shift() as SegmentInfo;
    const fd = this.readFds.get(seg.id);
    if (fd !== undefined) closeSync(fd);
    this.readFds.delete(seg.id);
    this.corruptSeen.delete(seg.id);
    unlinkSync(segmentPath(this.dir, seg.id));
    this.total -= seg.size;
  }

  /** Closes the files opened for reading. */
  close(): void {
    for (const fd of this.readFds.values()) closeSync(fd);
    this.readFds.clear();
  }

  private readFd(id: number): number {
    let fd = this.readFds.get(id);
    if (fd === undefined) {
      fd = openSync(segmentPath(this.dir, id), 'r');
      this.readFds.set(id, fd);
    }
    return fd;
  }

  private reportCorrupt(segment: number, found: ChunkResult['corrupt']): void {
    for (const c of found) {
      let seen = this.corruptSeen.get(segment);
      if (seen === undefined) this.corruptSeen.set(segment, (seen = new Set()));
      if (seen.has(c.offset)) continue;
      seen.add(c.offset);
      this.log.warn(
        { dir: this.dir, segment, offset: c.offset, bytes: c.bytes },
        'spool skipped a corrupt record',
      );
      this.onCorrupt(c.records, `${c.detail} (segment ${segment}, offset ${c.offset}, ${c.bytes} bytes)`);
    }
  }
}
