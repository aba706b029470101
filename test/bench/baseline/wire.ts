// The hand-written code VIVA shipped before the swap to @bufbuild/protobuf and snappy (see
// README, Dependencies), kept only as the baseline of test/bench/remote-write-libs.ts.
/**
 * Protocol Buffers wire format, the few pieces an encoder needs: varints (of non-negative safe
 * integers, without BigInt), 64-bit doubles, length-delimited bytes, and field keys. Encoders
 * compute each message's size first (`*Size` functions) and then write into one Buffer.
 */

/** Wire types. */
export const VARINT = 0;
export const FIXED64 = 1;
export const LENGTH_DELIMITED = 2;

/** The key byte(s) of a field: (number << 3) | wire type, as a varint. */
export function fieldKey(field: number, wireType: number): number {
  return (field << 3) | wireType;
}

/** Bytes a varint of a non-negative safe integer takes. */
export function varintSize(n: number): number {
  let size = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

/** Bytes a length-delimited field of `len` payload bytes takes, key included (field < 16). */
export function delimitedSize(len: number): number {
  return 1 + varintSize(len) + len;
}

/** Writes a varint of a non-negative safe integer at `pos`; returns the position after it. */
export function writeVarint(buf: Buffer, pos: number, n: number): number {
  while (n >= 128) {
    buf[pos++] = (n % 128) | 128;
    n = Math.floor(n / 128);
  }
  buf[pos++] = n;
  return pos;
}

/** Writes a little-endian double; returns the position after it. */
export function writeDouble(buf: Buffer, pos: number, v: number): number {
  buf.writeDoubleLE(v, pos);
  return pos + 8;
}

/** Writes a field key and the length of what follows; returns the position after them. */
export function writeDelimitedHeader(buf: Buffer, pos: number, field: number, len: number): number {
  buf[pos++] = fieldKey(field, LENGTH_DELIMITED);
  return writeVarint(buf, pos, len);
}

/** Writes a length-delimited UTF-8 string field of known byte length; returns the position after it. */
export function writeStringField(
  buf: Buffer,
  pos: number,
  field: number,
  s: string,
  byteLength: number,
): number {
  pos = writeDelimitedHeader(buf, pos, field, byteLength);
  return pos + buf.write(s, pos, byteLength, 'utf8');
}

/** Reads a varint (up to 2^53) at `pos`: [value, position after it]. For tests and decoders. */
export function readVarint(buf: Uint8Array, pos: number): [number, number] {
  let n = 0;
  let scale = 1;
  for (;;) {
    const b = buf[pos++];
    if (b === undefined) throw new Error('truncated varint');
    n += (b & 127) * scale;
    if (b < 128) return [n, pos];
    scale *= 128;
  }
}
