/**
 * The spool's records inside the disk log's frames, and reading them back in bounded chunks.
 *
 * Frame (core/engine/buffer/disk/segment.ts): [u32 LE length][u32 LE crc32][payload], where the
 * spool's payload is [f64 LE seq][f64 LE appendedAt][the bytes given to append()].
 */
import { readSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { MAX_RECORD_BYTES, RECORD_HEADER_BYTES } from '../../core/engine/buffer/disk/segment.ts';

/** seq and appendedAt before the caller's bytes. */
export const META_BYTES = 16;
/** Frame header and meta: what precedes a caller's payload on disk. */
export const OVERHEAD_BYTES = RECORD_HEADER_BYTES + META_BYTES;
/** A read fetches at most this much at once (more only for a single larger record). */
export const CHUNK_BYTES = 4 << 20;
const MIN_CHUNK_BYTES = 64 << 10;

/** A read position: the first byte of a record, or the end of a segment. */
export interface Position {
  segment: number;
  offset: number;
}

/** What a reader hands out (the public SpoolRecord plus where it lies). */
export interface StoredRecord {
  readonly payload: Buffer;
  readonly appendedAt: number;
  readonly seq: number;
  readonly segment: number;
  /** Offset just past the record in its segment. */
  readonly end: number;
}

/** The meta prefix of a record. */
export function encodeMeta(seq: number, appendedAt: number): Buffer {
  const b = Buffer.allocUnsafe(META_BYTES);
  b.writeDoubleLE(seq, 0);
  b.writeDoubleLE(appendedAt, 8);
  return b;
}

/** seq and appendedAt of a payload (at least META_BYTES long). */
export function decodeMeta(payload: Buffer): { seq: number; appendedAt: number } {
  return { seq: payload.readDoubleLE(0), appendedAt: payload.readDoubleLE(8) };
}

/** A frame length that can be a spool record. */
export function plausibleLength(len: number): boolean {
  return len >= META_BYTES && len <= MAX_RECORD_BYTES;
}

/** What one chunked read found. */
export interface ChunkResult {
  records: StoredRecord[];
  /** Where the next read of this segment starts. */
  next: number;
  /** Bad records met: offset, how many records (at least one) and bytes were lost. */
  corrupt: { offset: number; records: number; bytes: number; detail: string }[];
}

/**
 * Reads records of segment `segment` (open as `fd`) from `offset` up to `limit` (the segment's
 * size, or the write offset of the newest one): at most `maxRecords`, about `maxBytes` of
 * payload (at least one record). Memory: one chunk of at most CHUNK_BYTES or one record.
 */
export function readChunk(
  fd: number,
  segment: number,
  offset: number,
  limit: number,
  maxRecords: number,
  maxBytes: number,
): ChunkResult {
  const out: ChunkResult = { records: [], next: offset, corrupt: [] };
  let want = Math.min(
    limit - offset,
    Math.max(MIN_CHUNK_BYTES, Math.min(CHUNK_BYTES, maxBytes + OVERHEAD_BYTES)),
  );
  for (;;) {
    const buf = Buffer.allocUnsafe(want);
    const got = readSync(fd, buf, 0, want, offset);
    // A file shorter than expected (cut by hand) ends the readable part there.
    const end = got < want ? offset + got : limit;
    const again = parse(buf.subarray(0, got), segment, offset, end, maxRecords, maxBytes, out);
    if (again === 0) return out;
    // The first record is larger than the chunk: read it whole.
    want = again;
  }
}

/** Parses records out of `buf` (read at `base`); returns the size to re-read when nothing fit. */
function parse(
  buf: Buffer,
  segment: number,
  base: number,
  limit: number,
  maxRecords: number,
  maxBytes: number,
  out: ChunkResult,
): number {
  let p = 0;
  let bytes = 0;
  while (out.records.length < maxRecords && bytes < maxBytes && base + p < limit) {
    const at = base + p;
    const lenOk = buf.length - p >= RECORD_HEADER_BYTES && plausibleLength(buf.readUInt32LE(p));
    const frameEnd = lenOk ? at + RECORD_HEADER_BYTES + buf.readUInt32LE(p) : Infinity;
    if (!lenOk || frameEnd > limit) {
      // A header cut by the end of the chunk is read again with the next chunk.
      if (!lenOk && p > 0 && buf.length - p < RECORD_HEADER_BYTES && base + buf.length < limit) break;
      // The frame chain is broken: nothing after this point of the segment can be trusted.
      out.corrupt.push({
        offset: at,
        records: 1,
        bytes: limit - at,
        detail: 'broken frame, rest of segment lost',
      });
      out.next = limit;
      return 0;
    }
    const size = frameEnd - at;
    if (p + size > buf.length) {
      if (p === 0) return size;
      break;
    }
    const payload = buf.subarray(p + RECORD_HEADER_BYTES, p + size);
    if (crc32(payload) === buf.readUInt32LE(p + 4)) {
      const { seq, appendedAt } = decodeMeta(payload);
      out.records.push({ payload: payload.subarray(META_BYTES), appendedAt, seq, segment, end: frameEnd });
      bytes += payload.length - META_BYTES;
    } else {
      out.corrupt.push({ offset: at, records: 1, bytes: size, detail: 'checksum mismatch' });
    }
    p += size;
    out.next = base + p;
  }
  return 0;
}
