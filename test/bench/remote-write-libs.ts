/**
 * Remote write encoding: the hand-written protobuf and Snappy code VIVA shipped before
 * (test/bench/baseline/, kept only for this comparison) against the well-kept libraries:
 * @bufbuild/protobuf's BinaryWriter/BinaryReader (what core/format/prometheus/ now uses) and
 * protobufjs (runtime-parsed schema) for the WriteRequest, snappy (native, napi-rs; what VIVA
 * now uses) and snappyjs (pure JS) for the compression. Every candidate's output is checked against the others first
 * (decoded back to the same series) so that only correct codecs are timed.
 *
 *   node test/bench/remote-write-libs.ts [series=2000] [rounds=7]
 *
 * Prints, per operation and implementation, the median of `rounds` timed runs of about 300 ms
 * each, in MB/s of the uncompressed WriteRequest and in request bodies per second.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import protobuf from 'protobufjs';
import snappyNative from 'snappy';
import { decodeWriteRequest } from '../../core/format/prometheus/remotewrite-decode.ts';
import { encodeWriteRequest, type TimeSeries } from '../../core/format/prometheus/remotewrite.ts';
import { decodeWriteRequest as handDecode } from './baseline/remotewrite-decode.ts';
import { encodeWriteRequest as handEncode } from './baseline/remotewrite.ts';
import { snappyCompress, snappyUncompress } from './baseline/snappy.ts';

// snappyjs ships no types: loaded through require, typed with the two functions used here.
const snappyjs = createRequire(import.meta.url)('snappyjs') as {
  compress(b: Uint8Array): Uint8Array;
  uncompress(b: Uint8Array): Uint8Array;
};

const SERIES = Number(process.argv[2] ?? 2000);
const ROUNDS = Number(process.argv[3] ?? 7);

/** A batch like the agent's: cpu/mem/disk-style series, 8 labels, one sample each. */
function batch(n: number): TimeSeries[] {
  const out: TimeSeries[] = [];
  const t0 = 1_764_140_000_000;
  for (let i = 0; i < n; i++) {
    out.push({
      labels: [
        ['__name__', `system_metric_${i % 40}_total`],
        ['cpu', `cpu${i % 16}`],
        ['datacenter', 'eu-west-1'],
        ['env', 'production'],
        ['host', `web-${(i % 50).toString().padStart(3, '0')}.example.internal`],
        ['instance', `10.0.${i % 7}.${i % 250}:9100`],
        ['job', 'viva-agent'],
        ['service', i % 3 === 0 ? 'checkout' : 'catalog'],
      ],
      samples: [{ value: (i * 7.31) % 1000, timeMs: t0 + (i % 10) * 1000 }],
    });
  }
  return out;
}

const PROTO = `syntax = "proto3";
message WriteRequest { repeated TimeSeries timeseries = 1; }
message TimeSeries { repeated Label labels = 1; repeated Sample samples = 2; }
message Label { string name = 1; string value = 2; }
message Sample { double value = 1; int64 timestamp = 2; }`;
const WriteRequest = protobuf.parse(PROTO).root.lookupType('WriteRequest');

function protobufjsEncode(series: readonly TimeSeries[]): Uint8Array {
  const msg = {
    timeseries: series.map((ts) => ({
      labels: ts.labels.map(([name, value]) => ({ name, value })),
      samples: ts.samples.map((s) => ({ value: s.value, timestamp: s.timeMs })),
    })),
  };
  return WriteRequest.encode(msg).finish();
}

/** Median ms per call of `fn`, each round running it for about 300 ms. */
function time(fn: () => unknown): number {
  for (let i = 0; i < 20; i++) fn();
  const rounds: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    let n = 0;
    const start = performance.now();
    let now = start;
    while (now - start < 300) {
      fn();
      n++;
      now = performance.now();
    }
    rounds.push((now - start) / n);
  }
  rounds.sort((a, b) => a - b);
  return rounds[Math.floor(rounds.length / 2)];
}

const series = batch(SERIES);
const raw = handEncode(series);
const mb = raw.length / 1e6;

// Correctness first: every encoder's bytes decode to the same series; every compressor's output
// decompresses with the hand-written decoder and the others.
const expected = handDecode(raw);
assert.deepEqual(
  decodeWriteRequest(raw),
  expected,
  'the @bufbuild/protobuf decoder reads another WriteRequest',
);
for (const [name, bytes] of [
  ['protobufjs', protobufjsEncode(series)],
  ['@bufbuild/protobuf', encodeWriteRequest(series)],
] as const) {
  assert.deepEqual(handDecode(bytes), expected, `${name} encodes another WriteRequest`);
}
const compressed = {
  'hand-written': snappyCompress(raw),
  snappyjs: snappyjs.compress(raw),
  'snappy (native)': snappyNative.compressSync(raw),
};
for (const [name, c] of Object.entries(compressed)) {
  assert.deepEqual(Buffer.from(snappyUncompress(c)), raw, `${name} output does not round-trip`);
  assert.deepEqual(Buffer.from(snappyjs.uncompress(c)), raw, `${name} output does not round-trip`);
  assert.deepEqual(
    Buffer.from(snappyNative.uncompressSync(c) as Buffer),
    raw,
    `${name} output does not round-trip`,
  );
}

const rows: [string, string, number][] = [];
const add = (op: string, impl: string, fn: () => unknown): void => {
  rows.push([op, impl, time(fn)]);
};
add('encode WriteRequest', 'hand-written (before)', () => handEncode(series));
add('encode WriteRequest', 'protobufjs', () => protobufjsEncode(series));
add('encode WriteRequest', '@bufbuild/protobuf BinaryWriter (now)', () => encodeWriteRequest(series));
add('snappy compress', 'hand-written (before)', () => snappyCompress(raw));
add('snappy compress', 'snappyjs', () => snappyjs.compress(raw));
add('snappy compress', 'snappy, native (now)', () => snappyNative.compressSync(raw));
add('snappy uncompress', 'hand-written (before)', () => snappyUncompress(compressed['hand-written']));
add('snappy uncompress', 'snappyjs', () => snappyjs.uncompress(compressed['hand-written']));
add('snappy uncompress', 'snappy, native (now)', () =>
  snappyNative.uncompressSync(compressed['hand-written']),
);
add('decode WriteRequest', 'hand-written (before)', () => handDecode(raw));
add('decode WriteRequest', 'protobufjs', () => WriteRequest.decode(raw));
add('decode WriteRequest', '@bufbuild/protobuf BinaryReader (now)', () => decodeWriteRequest(raw));

console.log(
  `node ${process.version}, ${SERIES} series x 8 labels x 1 sample: WriteRequest ${raw.length} bytes; ` +
    `compressed: ${Object.entries(compressed)
      .map(([k, c]) => `${k} ${c.length}`)
      .join(', ')}`,
);
console.log('| operation | implementation | ms per request | MB/s |');
console.log('| --- | --- | ---: | ---: |');
for (const [op, impl, ms] of rows)
  console.log(`| ${op} | ${impl} | ${ms.toFixed(3)} | ${(mb / (ms / 1000)).toFixed(0)} |`);
