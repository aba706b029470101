/**
 * Recovery on open: walks the segments from the checkpoint, validates every record's frame and
 * checksum, truncates a torn tail and steps over corruption, counting what was lost.
 */
import { readFileSync, truncateSync } from 'node:fs';
import { peekBatchCount } from '../../../format/binary/codec.ts';
import { RECORD_HEADER_BYTES, checkRecord, segmentPath } from './segment.ts';
import type { Position } from './segment.ts';

/** A valid record found on disk. */
export interface ScannedRecord {
  segment: number;
  offset: number;
  /** Frame header included. */
  size: number;
  /** Metrics in the record. */
  count: number;
}

/** What recovery found and did. */
export interface RecoveryInfo {
  /** Pending records found (valid frames and checksums). */
  records: number;
  metrics: number;
  bytes: number;
  /** Records lost to corruption, a lower bound when a frame chain broke (then at least one). */
  corruptRecords: number;
  /** Metrics in the lost records, as far as their headers tell; at least one per record. */
  corruptMetrics: number;
  corruptBytes: number;
  /** Bytes of an incomplete record cut from the end of the newest segment (a torn write). */
  tornBytes: number;
}

export interface ScanResult {
  records: ScannedRecord[];
  info: RecoveryInfo;
}

function countOf(payload: Buffer): number {
  try {
    return peekBatchCount(payload);
  } catch {
    return 0;
  }
}

/** What a segment scan asks of its caller, so that other logs of frames can reuse it. */
export interface SegmentVisitor {
  /** Items in a valid frame's payload; 0 marks the payload invalid (it then counts as corrupt). */
  count(payload: Buffer): number;
  /** A valid record (`size` includes the frame header). */
  record(offset: number, size: number, count: number, payload: Buffer): void;
}

/** Loss counters of a scan, a subset of RecoveryInfo. */
export type ScanLosses = Pick<
  RecoveryInfo,
  'corruptRecords' | 'corruptMetrics' | 'corruptBytes' | 'tornBytes'
>;

/**
 * Scans one segment file from `start`, telling `visit` about valid records and counting losses into
 * `info`. The newest segment (`last`) is cut at an incomplete or broken tail so appends never
 * follow garbage. Memory: the one segment file.
 */
export function scanSegmentFile(
  path: string,
  start: number,
  last: boolean,
  visit: SegmentVisitor,
  info: ScanLosses,
): void {
  const data = readFileSync(path);
  let off = Math.min(start, data.length);
  while (off < data.length) {
    const state = checkRecord(data, off);
    const len = state === 'frame' ? 0 : data.readUInt32LE(off);
    const next = off + RECORD_HEADER_BYTES + len;
    const payload = data.subarray(off + RECORD_HEADER_BYTES, next);
    const count = state === 'frame' ? 0 : visit.count(payload);
    if (state === 'ok' && count > 0) {
      visit.record(off, next - off, count, payload);
      off = next;
      continue;
    }
    // A bad record whose successor is intact lost only itself; otherwise the chain is broken.
    const alone = state !== 'frame' && (next === data.length ? !last : checkRecord(data, next) === 'ok');
    if (alone) {
      info.corruptRecords += 1;
      info.corruptMetrics += Math.max(1, count);
      info.corruptBytes += next - off;
      off = next;
      continue;
    }
    if (last) {
      // The newest segment ends in an incomplete write: cut it so appends never follow garbage.
      info.tornBytes += data.length - off;
      truncateSync(path, off);
    } else {
      info.corruptRecords += 1;
      info.corruptMetrics += Math.max(1, count);
      info.corruptBytes += data.length - off;
    }
    return;
  }
}

/** Scans segments `ids` (ascending) from `from`; segments before it must be gone already. */
export function scanSegments(dir: string, ids: readonly number[], from: Position | null): ScanResult {
  const info: RecoveryInfo = {
    records: 0,
    metrics: 0,
    bytes: 0,
    corruptRecords: 0,
    corruptMetrics: 0,
    corruptBytes: 0,
    tornBytes: 0,
  };
  const out: ScanResult = { records: [], info };
  ids.forEach((id, i) => {
    const start = from !== null && from.segment === id ? from.offset : 0;
    const visit: SegmentVisitor = {
      count: countOf,
      record: (offset, size, count) => out.records.push({ segment: id, offset, size, count }),
    };
    scanSegmentFile(segmentPath(dir, id), start, i === ids.length - 1, visit, info);
  });
  for (const r of out.records) {
    info.metrics += r.count;
    info.bytes += r.size;
  }
  info.records = out.records.length;
  return out;
}
