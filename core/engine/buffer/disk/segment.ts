/**
 * On-disk layout of the disk buffer: segment files of framed records, and the checkpoint.
 *
 * Segment `NNNNNNNNNNNNNNNNNNNN.seg` (20-digit id, ascending): records back to back, no header.
 * Record: [u32 LE payload length][u32 LE crc32 of the payload][payload = encodeBatch(metrics)].
 * Checkpoint `checkpoint.json`: {"version":1,"segment":id,"offset":bytes} — where the first
 * unacknowledged record starts; replaced atomically (write a temporary file, then rename).
 * Lock `lock`: the pid of the process that has the log open.
 */
import {
  closeSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeFileSync,
  writeSync,
  writevSync,
} from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';

export const RECORD_HEADER_BYTES = 8;
/** Larger lengths are taken for corruption; appends refuse payloads beyond it. */
export const MAX_RECORD_BYTES = 256 << 20;
/** An encoded batch is at least a version byte and a count. */
export const MIN_PAYLOAD_BYTES = 2;

const SEGMENT_FILE = /^(\d{20})\.seg$/;
const CHECKPOINT = 'checkpoint.json';
const CHECKPOINT_TMP = 'checkpoint.json.tmp';

/** A read position: the first byte of a record (or the end of the log). */
export interface Position {
  segment: number;
  offset: number;
}

export function segmentPath(dir: string, id: number): string {
  return join(dir, String(id).padStart(20, '0') + '.seg');
}

/** Ids of the segment files in `dir`, ascending. */
export function listSegments(dir: string): number[] {
  const ids: number[] = [];
  for (const name of readdirSync(dir)) {
    const m = SEGMENT_FILE.exec(name);
    if (m !== null) ids.push(Number(m[1]));
  }
  return ids.sort((a, b) => a - b);
}

/** The 8-byte frame header of a payload, given whole or as parts laid back to back. */
export function frameHeader(payload: Uint8Array | readonly Uint8Array[]): Buffer {
  const parts = payload instanceof Uint8Array ? [payload] : payload;
  let len = 0;
  let crc = 0;
  for (const p of parts) {
    len += p.length;
    crc = crc32(p, crc);
  }
  const h = Buffer.allocUnsafe(RECORD_HEADER_BYTES);
  h.writeUInt32LE(len, 0);
  h.writeUInt32LE(crc, 4);
  return h;
}

/**
 * Writes a framed record at `position` (the payload whole or as parts, so callers need not copy
 * a prefix and a body into one buffer); on failure cuts the partial frame so the log stays framed.
 */
export function writeFrame(fd: number, payload: Uint8Array | readonly Uint8Array[], position: number): void {
  const header = frameHeader(payload);
  const parts = [header, ...(payload instanceof Uint8Array ? [payload] : payload)];
  const total = RECORD_HEADER_BYTES + header.readUInt32LE(0);
  try {
    const first = writevSync(fd, parts, position);
    if (first === total) return;
    const rest = Buffer.concat(parts).subarray(first);
    for (let done = 0; done < rest.length;) {
      done += writeSync(fd, rest, done, rest.length - done, position + first + done);
    }
  } catch (err) {
    try {
      ftruncateSync(fd, position);
    } catch {
      // The original error says more than the failed cleanup.
    }
    throw err;
  }
}

/** Checks the record at `offset` of `data`: 'ok', 'crc' (frame fits, checksum wrong) or 'frame'. */
export function checkRecord(data: Buffer, offset: number): 'ok' | 'crc' | 'frame' {
  if (data.length - offset < RECORD_HEADER_BYTES) return 'frame';
  const len = data.readUInt32LE(offset);
  if (len < MIN_PAYLOAD_BYTES || len > MAX_RECORD_BYTES) return 'frame';
  const start = offset + RECORD_HEADER_BYTES;
  if (start + len > data.length) return 'frame';
  return crc32(data.subarray(start, start + len)) === data.readUInt32LE(offset + 4) ? 'ok' : 'crc';
}

/** The checkpoint, or null when absent or unreadable (then every segment is replayed). */
export function readCheckpoint(dir: string): Position | null {
  let text: string;
  try {
    text = readFileSync(join(dir, CHECKPOINT), 'utf8');
  } catch {
    return null;
  }
  try {
    const v = JSON.parse(text) as Partial<Position> & { version?: unknown };
    const { segment, offset } = v;
    if (v.version !== 1 || !Number.isSafeInteger(segment) || !Number.isSafeInteger(offset)) return null;
    if ((segment as number) < 0 || (offset as number) < 0) return null;
    return { segment: segment as number, offset: offset as number };
  } catch {
    return null;
  }
}

/** Replaces the checkpoint atomically; `durable` fsyncs the file before the rename. */
export function writeCheckpoint(dir: string, pos: Position, durable: boolean): void {
  const tmp = join(dir, CHECKPOINT_TMP);
  const text = JSON.stringify({ version: 1, segment: pos.segment, offset: pos.offset });
  if (durable) {
    const fd = openSync(tmp, 'w');
    try {
      writeFileSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } else {
    writeFileSync(tmp, text);
  }
  renameSync(tmp, join(dir, CHECKPOINT));
}

/** fsyncs a directory so created, renamed and deleted entries survive a power loss. */
export function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

const LOCK = 'lock';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the directory for this process: two writers on one log would interleave records.
 * Returns the holder's pid when another live process (or this one) holds it, else null.
 */
export function lockDir(dir: string): number | null {
  const path = join(dir, LOCK);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx' });
      return null;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const pid = Number(readFileSync(path, 'utf8'));
    if (Number.isSafeInteger(pid) && pid > 0 && alive(pid)) return pid;
    // Left by a process that died (kill -9, power loss): take it over.
    unlinkSync(path);
  }
  return -1;
}

export function unlockDir(dir: string): void {
  unlinkSync(join(dir, LOCK));
}
