/**
 * Snappy block format (the raw format, no framing), as Prometheus remote write expects it, through
 * the `snappy` package (napi-rs bindings of the Rust `snap` crate; prebuilt binaries ship in the
 * package). The declared length is read here first so that a receiver can refuse an oversized
 * body before anything is allocated for it. Corrupt input throws VIVA_ERR_PARSE.
 */
import snappy from 'snappy';
import { ErrorCode, VivaError } from '../../model/errors/index.ts';

/** Compresses bytes into the Snappy block format. */
export function snappyCompress(src: Uint8Array): Buffer {
  return snappy.compressSync(Buffer.from(src.buffer, src.byteOffset, src.byteLength));
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

/**
 * Decompresses the Snappy block format. Corrupt input (a bad header, a length more than the body
 * can hold, or what the decoder refuses: truncated, a copy reaching before the start, a length
 * that does not match) throws VIVA_ERR_PARSE.
 */
export function snappyUncompress(src: Uint8Array): Buffer {
  const { length, start } = snappyUncompressedLength(src);
  if (length > (src.length - start) * MAX_EXPANSION)
    corrupt(0, `declared length ${length} is more than ${src.length} bytes can hold`);
  try {
    return snappy.uncompressSync(Buffer.from(src.buffer, src.byteOffset, src.byteLength), {
      asBuffer: true,
    }) as Buffer;
  } catch (e) {
    // The library's messages start with "snappy: " already.
    const msg = (e instanceof Error ? e.message : String(e)).replace(/^snappy: /, '');
    throw new VivaError(ErrorCode.PARSE, `snappy: ${msg}`);
  }
}
