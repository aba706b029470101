/**
 * Recovery on open: finds the segments, cuts a torn tail off the newest one and learns the last
 * seq written. Only the newest segment(s) are scanned; corruption elsewhere is found (and
 * counted) when a reader reaches it, so opening a 10 GiB spool reads one segment, not 10 GiB.
 */
import { statSync } from 'node:fs';
import { scanSegmentFile } from '../../core/engine/buffer/disk/scan.ts';
import type { ScanLosses } from '../../core/engine/buffer/disk/scan.ts';
import { listSegments, segmentPath } from '../../core/engine/buffer/disk/segment.ts';
import { META_BYTES, decodeMeta } from './frames.ts';

/** A segment on disk (the in-memory index: a few numbers per segment, never per record). */
export interface SegmentInfo {
  id: number;
  /** Bytes in the file; for the segment being written, bytes fully written. */
  size: number;
}

export interface Recovered {
  segments: SegmentInfo[];
  /** seq of the newest valid record on disk, 0 when none. */
  lastSeq: number;
  /** Bytes cut from the end of the newest segment (an incomplete write), and where. */
  torn: { segment: number; bytes: number } | null;
}

/** Scans the newest segments of `dir` back to the first one holding a valid record. */
export function recoverSegments(dir: string): Recovered {
  const ids = listSegments(dir);
  let lastSeq = 0;
  let torn: Recovered['torn'] = null;
  for (let i = ids.length - 1; i >= 0 && lastSeq === 0; i--) {
    const losses: ScanLosses = { corruptRecords: 0, corruptMetrics: 0, corruptBytes: 0, tornBytes: 0 };
    const visit = {
      count: (payload: Buffer) => (payload.length >= META_BYTES ? 1 : 0),
      record: (_offset: number, _size: number, _count: number, payload: Buffer) => {
        lastSeq = Math.max(lastSeq, decodeMeta(payload).seq);
      },
    };
    scanSegmentFile(segmentPath(dir, ids[i]), 0, i === ids.length - 1, visit, losses);
    if (losses.tornBytes > 0) torn = { segment: ids[i], bytes: losses.tornBytes };
  }
  const segments = ids.map((id) => ({ id, size: statSync(segmentPath(dir, id)).size }));
  return { segments, lastSeq, torn };
}
