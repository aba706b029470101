// The hand-written code VIVA shipped before the swap to @bufbuild/protobuf and snappy (see
// README, Dependencies), kept only as the baseline of test/bench/remote-write-libs.ts.
/**
 * Prometheus remote write 1.0 requests: a protobuf `WriteRequest` compressed with Snappy.
 *
 *   WriteRequest { repeated TimeSeries timeseries = 1; }
 *   TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; }
 *   Label        { string name = 1; string value = 2; }
 *   Sample       { double value = 1; int64 timestamp = 2; }   // timestamp in ms
 *
 * Sizes are computed first, then everything is written into one Buffer. The receiving side is
 * remotewrite-decode.ts.
 */
import {
  FIXED64,
  VARINT,
  delimitedSize,
  fieldKey,
  varintSize,
  writeDelimitedHeader,
  writeDouble,
  writeStringField,
  writeVarint,
} from './wire.ts';
import { snappyCompress } from './snappy.ts';

/** Headers every remote write request carries. */
export const REMOTE_WRITE_HEADERS = {
  'content-type': 'application/x-protobuf',
  'content-encoding': 'snappy',
  'x-prometheus-remote-write-version': '0.1.0',
} as const;

/** One series to write: labels sorted by name, `__name__` included; samples in time order. */
export interface TimeSeries {
  labels: readonly (readonly [string, string])[];
  samples: readonly { value: number; timeMs: number }[];
}

const SAMPLE_VALUE_KEY = fieldKey(1, FIXED64);
const SAMPLE_TIME_KEY = fieldKey(2, VARINT);

function sampleSize(timeMs: number): number {
  return 1 + 8 + 1 + varintSize(timeMs);
}

/** Encodes a WriteRequest (uncompressed protobuf). Timestamps must be non-negative. */
export function encodeWriteRequest(series: readonly TimeSeries[]): Buffer {
  const labelBytes: number[] = [];
  const seriesSizes: number[] = [];
  let total = 0;
  for (const ts of series) {
    let size = 0;
    for (const [name, value] of ts.labels) {
      const n = Buffer.byteLength(name);
      const v = Buffer.byteLength(value);
      labelBytes.push(n, v);
      size += delimitedSize(delimitedSize(n) + delimitedSize(v));
    }
    for (const s of ts.samples) size += delimitedSize(sampleSize(s.timeMs));
    seriesSizes.push(size);
    total += delimitedSize(size);
  }
  const buf = Buffer.allocUnsafe(total);
  let pos = 0;
  let li = 0;
  for (let i = 0; i < series.length; i++) {
    const ts = series[i];
    pos = writeDelimitedHeader(buf, pos, 1, seriesSizes[i]);
    for (const [name, value] of ts.labels) {
      const n = labelBytes[li++];
      const v = labelBytes[li++];
      pos = writeDelimitedHeader(buf, pos, 1, delimitedSize(n) + delimitedSize(v));
      pos = writeStringField(buf, pos, 1, name, n);
      pos = writeStringField(buf, pos, 2, value, v);
    }
    for (const s of ts.samples) {
      pos = writeDelimitedHeader(buf, pos, 2, sampleSize(s.timeMs));
      buf[pos++] = SAMPLE_VALUE_KEY;
      pos = writeDouble(buf, pos, s.value);
      buf[pos++] = SAMPLE_TIME_KEY;
      pos = writeVarint(buf, pos, s.timeMs);
    }
  }
  return buf;
}

/** The body of a remote write request: the WriteRequest, Snappy-compressed. */
export function remoteWriteBody(series: readonly TimeSeries[]): Buffer {
  return snappyCompress(encodeWriteRequest(series));
}
