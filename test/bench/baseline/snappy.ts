// The hand-written code VIVA shipped before the swap to @bufbuild/protobuf and snappy (see
// README, Dependencies), kept only as the baseline of test/bench/remote-write-libs.ts.
/**
 * Snappy block format (the raw format, no framing), as Prometheus remote write expects it:
 * a varint of the uncompressed length, then literals and back-references (copies). The
 * compressor follows the reference algorithm: 64 KiB blocks, a hash table of 4-byte sequences,
 * skipping ahead faster through data that does not compress. The decompressor is for tests and
 * for receivers.
 */
import { ErrorCode, VivaError } from '../../../core/model/errors/index.ts';
import { writeVarint } from './wire.ts';

const BLOCK = 1 << 16;
const TABLE_BITS = 14;
const MIN_INPUT = 15;

/** Worst-case compressed size of `n` input bytes. */
export function maxCompressedLength(n: number): number {
  return 32 + n + Math.floor(n / 6);
}

function load32(b: Uint8Array, i: number): number {
  return (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0;
}

function hash(v: number): number {
  return Math.imul(v, 0x1e35a7bd) >>> (32 - TABLE_BITS);
}

function emitLiteral(src: Uint8Array, from: number, to: number, out: Buffer, op: number): number {
  const n = to - from - 1;
  if (n < 60) out[op++] = n << 2;
  else if (n < 1 << 8) {
    out[op++] = 60 << 2;
    out[op++] = n;
  } else if (n < 1 << 16) {
    out[op++] = 61 << 2;
    out[op++] = n & 0xff;
    out[op++] = n >>> 8;
  } else if (n < 1 << 24) {
    out[op++] = 62 << 2;
    out[op++] = n & 0xff;
    out[op++] = (n >>> 8) & 0xff;
    out[op++] = n >>> 16;
  } else {
    out[op++] = 63 << 2;
    out.writeUInt32LE(n, op);
    op += 4;
  }
  out.set(src.subarray(from, to), op);
  return op + (to - from);
}

/** A copy of `len` (4..64) bytes from `offset` (< 65536) back. */
function emitCopyAtMost64(offset: number, len: number, out: Buffer, op: number): number {
  if (len < 12 && offset < 2048) {
    out[op++] = ((offset >>> 8) << 5) | ((len - 4) << 2) | 1;
    out[op++] = offset & 0xff;
  } else {
    out[op++] = ((len - 1) << 2) | 2;
    out[op++] = offset & 0xff;
    out[op++] = offset >>> 8;
  }
  return op;
}

function emitCopy(offset: number, len: number, out: Buffer, op: number): number {
  while (len >= 68) {
    op = emitCopyAtMost64(offset, 64, out, op);
    len -= 64;
  }
  if (len > 64) {
    op = emitCopyAtMost64(offset, 60, out, op);
    len -= 60;
  }
  return emitCopyAtMost64(offset, len, out, op);
}

/** Compresses one block (< 64 KiB) of src[start, end). */
function compressBlock(
  src: Uint8Array,
  start: number,
  end: number,
  out: Buffer,
  op: number,
  table: Int32Array,
): number {
  if (end - start < MIN_INPUT) return emitLiteral(src, start, end, out, op);
  table.fill(-1);
  const limit = end - 4;
  let nextEmit = start;
  let ip = start + 1;
  for (;;) {
    // Find a 4-byte match, skipping faster the longer nothing matches.
    let skip = 32;
    let candidate: number;
    for (;;) {
      if (ip > limit) return nextEmit < end ? emitLiteral(src, nextEmit, end, out, op) : op;
      const h = hash(load32(src, ip));
      candidate = table[h];
      table[h] = ip;
      if (candidate >= start && load32(src, candidate) === load32(src, ip)) break;
      ip += skip++ >> 5;
    }
    if (nextEmit < ip) op = emitLiteral(src, nextEmit, ip, out, op);
    // Extend the match, then emit it; repeat while the next position matches too.
    for (;;) {
      let len = 4;
      while (ip + len < end && src[candidate + len] === src[ip + len]) len++;
      op = emitCopy(ip - candidate, len, out, op);
      ip += len;
      nextEmit = ip;
      if (ip > limit) return nextEmit < end ? emitLiteral(src, nextEmit, end, out, op) : op;
      table[hash(load32(src, ip - 1))] = ip - 1;
      const h = hash(load32(src, ip));
      candidate = table[h];
      table[h] = ip;
      if (candidate < start || load32(src, candidate) !== load32(src, ip)) break;
    }
    ip++;
  }
}

/** Compresses bytes into the Snappy block format. */
export function snappyCompress(src: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(maxCompressedLength(src.length));
  let op = writeVarint(out, 0, src.length);
  const table = new Int32Array(1 << TABLE_BITS);
  for (let start = 0; start < src.length; start += BLOCK) {
    op = compressBlock(src, start, Math.min(src.length, start + BLOCK), out, op, table);
  }
  return out.subarray(0, op);
}

/** A decompressed block is at most this many times its compressed size (a 3-byte copy of 64). */
const MAX_EXPANSION = 22;

function corrupt(pos: number, what: string): never {
  throw new VivaError(ErrorCode.PARSE, `snappy: ${what} at byte ${pos}`);
}

/**
 * The uncompressed length a Snappy block declares (its leading varint), so a receiver can refuse
 * an oversized body before allocating it. Throws VIVA_ERR_PARSE when the varint is malformed.
 */
export function snappyUncompressedLength(src: Uint8Array): { length: number; start: number } {
  let length = 0;
  for (let i = 0; i < 5; i++) {
    const b = src[i];
    if (b === undefined) corrupt(i, 'truncated length header');
    length += (b & 127) * 2 ** (7 * i);
    if (b < 128) {
      if (length > 0xffffffff) corrupt(0, 'length header over 2^32-1');
      return { length, start: i + 1 };
    }
  }
  return corrupt(0, 'length header longer than 5 bytes');
}

/** Reads the little-endian extra length or offset bytes of a tag; checks they are there. */
function readLE(src: Uint8Array, ip: number, bytes: number): number {
  if (ip + bytes > src.length) corrupt(ip, 'tag runs past the end of the input');
  let n = 0;
  for (let i = 0; i < bytes; i++) n += src[ip + i] * 2 ** (8 * i);
  return n;
}

/**
 * Decompresses the Snappy block format. Corrupt input (truncated, a copy reaching before the
 * start, a length that does not match) throws VIVA_ERR_PARSE naming the byte offset.
 */
export function snappyUncompress(src: Uint8Array): Buffer {
  const { length, start } = snappyUncompressedLength(src);
  if (length > (src.length - start) * MAX_EXPANSION)
    corrupt(0, `declared length ${length} is more than ${src.length} bytes can hold`);
  const out = Buffer.alloc(length);
  let ip = start;
  let op = 0;
  while (ip < src.length) {
    const at = ip;
    const tag = src[ip++];
    const kind = tag & 3;
    let len: number;
    if (kind === 0) {
      len = tag >>> 2;
      if (len >= 60) {
        len = readLE(src, ip, len - 59);
        ip += (tag >>> 2) - 59;
      }
      len += 1;
      if (ip + len > src.length) corrupt(at, 'literal runs past the end of the input');
      if (op + len > length) corrupt(at, 'literal runs past the declared length');
      out.set(src.subarray(ip, ip + len), op);
      ip += len;
      op += len;
      continue;
    }
    let offset: number;
    if (kind === 1) {
      len = ((tag >>> 2) & 7) + 4;
      offset = ((tag >>> 5) << 8) | readLE(src, ip, 1);
      ip += 1;
    } else {
      len = (tag >>> 2) + 1;
      const bytes = kind === 2 ? 2 : 4;
      offset = readLE(src, ip, bytes);
      ip += bytes;
    }
    if (offset === 0 || offset > op) corrupt(at, `copy offset ${offset} out of range`);
    if (op + len > length) corrupt(at, 'copy runs past the declared length');
    for (let i = 0; i < len; i++, op++) out[op] = out[op - offset];
  }
  if (op !== length) corrupt(ip, `decompressed ${op} bytes, the header declared ${length}`);
  return out;
}
