// The hand-written code VIVA shipped before the swap to @bufbuild/protobuf and snappy (see
// README, Dependencies), kept only as the baseline of test/bench/remote-write-libs.ts.
/**
 * Decoding of Prometheus remote write 1.0 requests (the receiving side of remotewrite.ts): the
 * Snappy block is decompressed, then the protobuf `prometheus.WriteRequest` is read field by
 * field. Fields this decoder does not use (metadata, exemplars, native histograms, fields of
 * later versions) are skipped by wire type; native histograms are counted so a receiver can say
 * what it left out. Malformed input throws VIVA_ERR_PARSE naming the message path and byte offset,
 * e.g. `timeseries[3].labels[1].value: length 80 runs past the end of the message at byte 412`.
 */
import { isUtf8 } from 'node:buffer';
import { ErrorCode, VivaError } from '../../../core/model/errors/index.ts';
import { FIXED64, LENGTH_DELIMITED, VARINT } from './wire.ts';
import { snappyUncompress } from './snappy.ts';

/** Wire type of 32-bit fixed fields (skipped). */
const FIXED32 = 5;

/** One decoded series: labels in the order sent, samples with ms timestamps. */
export interface DecodedSeries {
  labels: [string, string][];
  samples: { value: number; timeMs: number }[];
}

/** A decoded WriteRequest. */
export interface DecodedWriteRequest {
  series: DecodedSeries[];
  /** Native histogram samples (TimeSeries field 4) that were skipped. */
  histograms: number;
}

/** A bounded cursor over the request bytes; `where` names the message being read for errors. */
class Reader {
  readonly buf: Uint8Array;
  pos: number;
  constructor(buf: Uint8Array) {
    this.buf = buf;
    this.pos = 0;
  }

  fail(where: string, at: number, what: string): never {
    throw new VivaError(ErrorCode.PARSE, `remote write: ${where}: ${what} at byte ${at}`);
  }

  /** A varint of at most 10 bytes, as a number; exact up to 2^53 (lengths, keys). */
  uvarint(where: string, end: number): number {
    const at = this.pos;
    let n = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= end) this.fail(where, at, 'truncated varint');
      const b = this.buf[this.pos++];
      n += (b & 127) * scale;
      if (b < 128) return n;
      scale *= 128;
    }
    return this.fail(where, at, 'varint longer than 10 bytes');
  }

  /** A two's complement int64 varint; values outside ±2^53 are refused. */
  int64(where: string, end: number): number {
    const at = this.pos;
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= end) this.fail(where, at, 'truncated varint');
      const b = this.buf[this.pos++];
      const bits = b & 127;
      // Bits 0..27 in the first four bytes, bits 28..31 and 32..34 split across the fifth.
      if (i < 4) lo |= bits << (7 * i);
      else if (i === 4) {
        lo |= (bits & 15) << 28;
        hi |= bits >>> 4;
      } else hi |= bits << (7 * i - 32);
      if (b < 128) return this.toNumber(lo >>> 0, hi >>> 0, where, at);
    }
    return this.fail(where, at, 'varint longer than 10 bytes');
  }

  private toNumber(lo: number, hi: number, where: string, at: number): number {
    const negative = hi >= 0x80000000;
    const value = negative ? -((~hi >>> 0) * 2 ** 32 + (~lo >>> 0) + 1) : hi * 2 ** 32 + lo;
    if (!Number.isSafeInteger(value)) this.fail(where, at, 'int64 outside ±2^53');
    return value;
  }

  /** The end of a length-delimited payload starting here, checked against `end`. */
  delimited(where: string, end: number): number {
    const len = this.uvarint(where, end);
    if (len > end - this.pos) this.fail(where, this.pos, `length ${len} runs past the end of the message`);
    return this.pos + len;
  }

  string(where: string, end: number): string {
    const stop = this.delimited(where, end);
    const bytes = this.buf.subarray(this.pos, stop);
    if (!isUtf8(bytes)) this.fail(where, this.pos, 'invalid UTF-8');
    const s = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8');
    this.pos = stop;
    return s;
  }

  double(where: string, end: number): number {
    if (end - this.pos < 8) this.fail(where, this.pos, 'truncated double');
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8).getFloat64(0, true);
    this.pos += 8;
    return v;
  }

  /** Skips a field of an unused number by its wire type. */
  skip(where: string, wire: number, end: number): void {
    if (wire === VARINT) this.uvarint(where, end);
    else if (wire === LENGTH_DELIMITED) this.pos = this.delimited(where, end);
    else if (wire === FIXED64 || wire === FIXED32) {
      const n = wire === FIXED64 ? 8 : 4;
      if (end - this.pos < n) this.fail(where, this.pos, 'truncated fixed-size field');
      this.pos += n;
    } else this.fail(where, this.pos, `unsupported wire type ${wire}`);
  }

  /** Reads a field key; refuses field number 0 (never valid). */
  key(where: string, end: number): [field: number, wire: number] {
    const at = this.pos;
    const key = this.uvarint(where, end);
    const field = Math.floor(key / 8);
    if (field === 0) this.fail(where, at, 'field number 0');
    return [field, key & 7];
  }

  /** Fails unless a known field came with the wire type it is declared with. */
  expect(where: string, wire: number, want: number): void {
    if (wire !== want) this.fail(where, this.pos, `wire type ${wire}, expected ${want}`);
  }
}

function readLabel(r: Reader, where: string, end: number): [string, string] {
  let name = '';
  let value = '';
  while (r.pos < end) {
    const [field, wire] = r.key(where, end);
    if (field === 1) {
      r.expect(`${where}.name`, wire, LENGTH_DELIMITED);
      name = r.string(`${where}.name`, end);
    } else if (field === 2) {
      r.expect(`${where}.value`, wire, LENGTH_DELIMITED);
      value = r.string(`${where}.value`, end);
    } else r.skip(where, wire, end);
  }
  return [name, value];
}

function readSample(r: Reader, where: string, end: number): { value: number; timeMs: number } {
  let value = 0;
  let timeMs = 0;
  while (r.pos < end) {
    const [field, wire] = r.key(where, end);
    if (field === 1) {
      r.expect(`${where}.value`, wire, FIXED64);
      value = r.double(`${where}.value`, end);
    } else if (field === 2) {
      r.expect(`${where}.timestamp`, wire, VARINT);
      timeMs = r.int64(`${where}.timestamp`, end);
    } else r.skip(where, wire, end);
  }
  return { value, timeMs };
}

function readSeries(r: Reader, where: string, end: number, out: DecodedWriteRequest): DecodedSeries {
  const series: DecodedSeries = { labels: [], samples: [] };
  while (r.pos < end) {
    const [field, wire] = r.key(where, end);
    if (field === 1) {
      const at = `${where}.labels[${series.labels.length}]`;
      r.expect(at, wire, LENGTH_DELIMITED);
      series.labels.push(readLabel(r, at, r.delimited(at, end)));
    } else if (field === 2) {
      const at = `${where}.samples[${series.samples.length}]`;
      r.expect(at, wire, LENGTH_DELIMITED);
      series.samples.push(readSample(r, at, r.delimited(at, end)));
    } else {
      if (field === 4 && wire === LENGTH_DELIMITED) out.histograms++;
      r.skip(where, wire, end);
    }
  }
  return series;
}

/** Decodes an uncompressed WriteRequest. Throws VIVA_ERR_PARSE on malformed input. */
export function decodeWriteRequest(buf: Uint8Array): DecodedWriteRequest {
  const r = new Reader(buf);
  const out: DecodedWriteRequest = { series: [], histograms: 0 };
  const end = buf.length;
  while (r.pos < end) {
    const [field, wire] = r.key('WriteRequest', end);
    if (field === 1) {
      const at = `timeseries[${out.series.length}]`;
      r.expect(at, wire, LENGTH_DELIMITED);
      out.series.push(readSeries(r, at, r.delimited(at, end), out));
    } else r.skip('WriteRequest', wire, end);
  }
  return out;
}

/** Decodes a remote write body: Snappy block, then WriteRequest. Throws VIVA_ERR_PARSE. */
export function decodeRemoteWriteBody(body: Uint8Array): DecodedWriteRequest {
  return decodeWriteRequest(snappyUncompress(body));
}
