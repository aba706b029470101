/**
 * Gunzip of a request body in one pass of the zlib thread pool: the output buffer is sized from
 * the gzip trailer (ISIZE, the uncompressed length modulo 2^32) instead of zlib's 16 KiB chunks,
 * each of which costs a round trip to the thread pool, a callback and a copy at the end. ISIZE is
 * only a hint (a sender can lie; a multi-member body gives the last member's): the buffer stays
 * within what deflate can expand the body to, and within maxOutputLength, and an output larger
 * than the hint simply takes more chunks.
 */
import { gunzip } from 'node:zlib';
import type { InputType, ZlibOptions } from 'node:zlib';

/** Deflate expands at most about 1032:1. */
const MAX_RATIO = 1032;
/** zlib's default chunk, the least used. */
const MIN_CHUNK = 16 * 1024;
/** The largest buffer allocated up front for one body. */
const MAX_CHUNK = 16 << 20;
/** Past the expected end, so zlib sees the end of the stream without another round. */
const SLACK = 64;

/** The output chunk size for a gzip body: its ISIZE plus a little, within bounds. */
export function gunzipChunkSize(body: Uint8Array, maxOutputLength: number): number {
  if (body.length < 18) return MIN_CHUNK;
  const n = body.length;
  const isize = (body[n - 4] | (body[n - 3] << 8) | (body[n - 2] << 16) | (body[n - 1] << 24)) >>> 0;
  const cap = Math.min(MAX_CHUNK, maxOutputLength + SLACK, n * MAX_RATIO);
  return Math.max(MIN_CHUNK, Math.min(isize + SLACK, cap));
}

/** zlib.gunzip with the output chunk sized from the body's trailer; rejects as zlib does. */
export function gunzipBody(body: Buffer, maxOutputLength: number): Promise<Buffer> {
  const opts: ZlibOptions = { maxOutputLength, chunkSize: gunzipChunkSize(body, maxOutputLength) };
  return new Promise((resolve, reject) => {
    gunzip(body as InputType, opts, (err, out) => (err === null ? resolve(out) : reject(err)));
  });
}
