/**
 * Decoding of Prometheus remote write 1.0 requests (the receiving side of remotewrite.ts): the
 * Snappy block is decompressed, then the protobuf `prometheus.WriteRequest` is read field by field
 * with @bufbuild/protobuf's BinaryReader. Fields this decoder does not use (metadata, exemplars,
 * native histograms, fields of later versions) are skipped by wire type; native histograms are
 * counted so a receiver can say what it left out. Malformed input throws VIVA_ERR_PARSE naming the
 * message path and byte offset, e.g.
 * `timeseries[3].labels[1].value: length 80 runs past the end of the message at byte 412`.
 */
import { isUtf8 } from 'node:buffer';
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { ErrorCode, VivaError } from '../../model/errors/index.ts';
import { snappyUncompress } from './snappy.ts';

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

/**
 * Where the reader is, kept as indices and formatted only for an error: building a path string
 * per field would cost more than the decoding itself.
 */
class Where {
  series = -1;
  part: 'labels' | 'samples' | '' = '';
  item = 0;
  field = '';

  toString(): string {
    if (this.series < 0) return 'WriteRequest';
    let s = `timeseries[${this.series}]`;
    if (this.part !== '') s += `.${this.part}[${this.item}]`;
    if (this.field !== '') s += `.${this.field}`;
    return s;
  }
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);

/** A bounded reader: every nested message ends within its parent. */
class Reader {
  readonly r: BinaryReader;
  readonly buf: Uint8Array;
  readonly where = new Where();

  constructor(buf: Uint8Array) {
    this.buf = buf;
    this.r = new BinaryReader(buf);
  }

  fail(at: number, what: string): never {
    throw new VivaError(ErrorCode.PARSE, `remote write: ${this.where.toString()}: ${what} at byte ${at}`);
  }

  /** The end of a length-delimited payload starting here, checked against `end`. */
  delimited(end: number): number {
    const len = this.r.uint32();
    if (len > end - this.r.pos) this.fail(this.r.pos, `length ${len} runs past the end of the message`);
    return this.r.pos + len;
  }

  /** A field key; its wire type checked when the field is one this decoder reads. */
  key(end: number): [field: number, wire: WireType] {
    const at = this.r.pos;
    const [field, wire] = this.r.tag();
    if (this.r.pos > end) this.fail(at, 'field key runs past the end of the message');
    return [field, wire];
  }

  expect(wire: WireType, want: WireType): void {
    if (wire !== want) this.fail(this.r.pos, `wire type ${wire}, expected ${want}`);
  }

  string(end: number): string {
    const stop = this.delimited(end);
    const start = this.r.pos;
    this.r.pos = stop;
    const buf = this.buf;
    // Label names and values are short and nearly always ASCII: read those in JS, which is
    // several times faster than a native UTF-8 decode per string (up to a length that
    // String.fromCharCode.apply takes as arguments).
    let ascii = stop - start <= 1024;
    for (let i = start; ascii && i < stop; i++) if (buf[i] > 127) ascii = false;
    if (ascii) return String.fromCharCode.apply(null, buf.subarray(start, stop) as unknown as number[]);
    const bytes = buf.subarray(start, stop);
    if (!isUtf8(bytes)) this.fail(start, 'invalid UTF-8');
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8');
  }

  double(end: number): number {
    if (end - this.r.pos < 8) this.fail(this.r.pos, 'truncated double');
    return this.r.double();
  }

  int64(end: number): number {
    const at = this.r.pos;
    const v = BigInt(this.r.int64());
    if (this.r.pos > end) this.fail(at, 'varint runs past the end of the message');
    if (v > MAX_SAFE || v < MIN_SAFE) this.fail(at, 'int64 outside ±2^53');
    return Number(v);
  }

  skip(wire: WireType, field: number, end: number): void {
    const at = this.r.pos;
    this.r.skip(wire, field);
    if (this.r.pos > end) this.fail(at, 'field runs past the end of the message');
  }
}

function readLabel(rd: Reader, end: number): [string, string] {
  let name = '';
  let value = '';
  while (rd.r.pos < end) {
    const [field, wire] = rd.key(end);
    if (field === 1 || field === 2) {
      rd.where.field = field === 1 ? 'name' : 'value';
      rd.expect(wire, WireType.LengthDelimited);
      if (field === 1) name = rd.string(end);
      else value = rd.string(end);
      rd.where.field = '';
    } else rd.skip(wire, field, end);
  }
  return [name, value];
}

function readSample(rd: Reader, end: number): { value: number; timeMs: number } {
  let value = 0;
  let timeMs = 0;
  while (rd.r.pos < end) {
    const [field, wire] = rd.key(end);
    if (field === 1) {
      rd.where.field = 'value';
      rd.expect(wire, WireType.Bit64);
      value = rd.double(end);
    } else if (field === 2) {
      rd.where.field = 'timestamp';
      rd.expect(wire, WireType.Varint);
      timeMs = rd.int64(end);
    } else rd.skip(wire, field, end);
    rd.where.field = '';
  }
  return { value, timeMs };
}

function readSeries(rd: Reader, end: number, out: DecodedWriteRequest): DecodedSeries {
  const series: DecodedSeries = { labels: [], samples: [] };
  const w = rd.where;
  while (rd.r.pos < end) {
    const [field, wire] = rd.key(end);
    if (field === 1 || field === 2) {
      w.part = field === 1 ? 'labels' : 'samples';
      w.item = field === 1 ? series.labels.length : series.samples.length;
      rd.expect(wire, WireType.LengthDelimited);
      const stop = rd.delimited(end);
      if (field === 1) series.labels.push(readLabel(rd, stop));
      else series.samples.push(readSample(rd, stop));
      w.part = '';
    } else {
      if (field === 4 && wire === WireType.LengthDelimited) out.histograms++;
      rd.skip(wire, field, end);
    }
  }
  return series;
}

/** Decodes an uncompressed WriteRequest. Throws VIVA_ERR_PARSE on malformed input. */
export function decodeWriteRequest(buf: Uint8Array): DecodedWriteRequest {
  const rd = new Reader(buf);
  const out: DecodedWriteRequest = { series: [], histograms: 0 };
  const end = buf.length;
  try {
    while (rd.r.pos < end) {
      const [field, wire] = rd.key(end);
      if (field === 1) {
        rd.where.series = out.series.length;
        rd.expect(wire, WireType.LengthDelimited);
        out.series.push(readSeries(rd, rd.delimited(end), out));
        rd.where.series = -1;
      } else rd.skip(wire, field, end);
    }
  } catch (e) {
    if (e instanceof VivaError) throw e;
    // The reader's own refusals: a truncated or overlong varint, an unknown wire type, field 0.
    rd.fail(rd.r.pos, e instanceof Error ? e.message : String(e));
  }
  return out;
}

/** Decodes a remote write body: Snappy block, then WriteRequest. Throws VIVA_ERR_PARSE. */
export function decodeRemoteWriteBody(body: Uint8Array): DecodedWriteRequest {
  return decodeWriteRequest(snappyUncompress(body));
}
