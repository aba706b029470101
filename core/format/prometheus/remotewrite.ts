/**
 * Prometheus remote write 1.0 requests: a protobuf `WriteRequest` compressed with Snappy.
 *
 *   WriteRequest { repeated TimeSeries timeseries = 1; }
 *   TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; }
 *   Label        { string name = 1; string value = 2; }
 *   Sample       { double value = 1; int64 timestamp = 2; }   // timestamp in ms
 *
 * Written with @bufbuild/protobuf's BinaryWriter (the wire layer of a conformance-tested protobuf
 * library), compressed with the `snappy` package. The receiving side is remotewrite-decode.ts.
 */
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
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

/** Encodes a WriteRequest (uncompressed protobuf). */
export function encodeWriteRequest(series: readonly TimeSeries[]): Buffer {
  const w = new BinaryWriter();
  for (const ts of series) {
    w.tag(1, WireType.LengthDelimited).fork();
    for (const [name, value] of ts.labels) {
      w.tag(1, WireType.LengthDelimited).fork();
      w.tag(1, WireType.LengthDelimited).string(name);
      w.tag(2, WireType.LengthDelimited).string(value);
      w.join();
    }
    for (const s of ts.samples) {
      w.tag(2, WireType.LengthDelimited).fork();
      w.tag(1, WireType.Bit64).double(s.value);
      w.tag(2, WireType.Varint).int64(s.timeMs);
      w.join();
    }
    w.join();
  }
  const bytes = w.finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The body of a remote write request: the WriteRequest, Snappy-compressed. */
export function remoteWriteBody(series: readonly TimeSeries[]): Buffer {
  return snappyCompress(encodeWriteRequest(series));
}
