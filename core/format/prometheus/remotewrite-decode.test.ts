import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode, VivaError } from '../../model/errors/index.ts';
import { text } from '../testing.ts';
import { decodeRemoteWriteBody, decodeWriteRequest } from './remotewrite-decode.ts';
import { encodeWriteRequest, remoteWriteBody, type TimeSeries } from './remotewrite.ts';
import { snappyCompress, snappyUncompress } from './snappy.ts';

/** Runs `f` and returns the VivaError it throws; fails on any other outcome. */
function parseError(f: () => unknown): VivaError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(VivaError);
    expect((e as VivaError).code).toBe(ErrorCode.PARSE);
    return e as VivaError;
  }
  throw new Error('expected a VIVA_ERR_PARSE error, nothing was thrown');
}

const series: TimeSeries[] = [
  {
    labels: [
      ['__name__', 'go_gc_duration_seconds'],
      ['instance', 'localhost:9090'],
      ['quantile', '0.99'],
    ],
    samples: [
      { value: 4.63e-5, timeMs: 1_700_000_000_123 },
      { value: -Infinity, timeMs: 1_700_000_000_124 },
    ],
  },
  { labels: [['__name__', 'up']], samples: [{ value: 1, timeMs: 0 }] },
  { labels: [], samples: [] },
];

/** Bytes of a length-delimited field (field < 16, length < 128). */
const delimited = (field: number, payload: number[]): number[] => [
  (field << 3) | 2,
  payload.length,
  ...payload,
];

describe('remote write decoding', () => {
  it('should read back what the encoder wrote, Snappy included', () => {
    const decoded = decodeRemoteWriteBody(remoteWriteBody(series));
    expect(decoded).toEqual({ series, histograms: 0 });
  });

  it('should round-trip random series, labels full of special characters', () => {
    const label = fc.tuple(text({ maxLength: 10 }), text({ maxLength: 10 }));
    const sample = fc.record({
      value: fc.double(),
      timeMs: fc.integer({ min: 0, max: 2 ** 47 }),
    });
    const ts = fc.record({
      labels: fc.array(label, { maxLength: 5 }),
      samples: fc.array(sample, { maxLength: 4 }),
    });
    fc.assert(
      fc.property(fc.array(ts, { maxLength: 6 }), (input) => {
        // Text the encoder cannot write as UTF-8 (lone surrogates) is out of scope.
        fc.pre(input.every((s) => s.labels.every(([n, v]) => n.isWellFormed() && v.isWellFormed())));
        const decoded = decodeRemoteWriteBody(remoteWriteBody(input));
        expect(decoded.series).toEqual(input);
      }),
      { numRuns: 300 },
    );
  });

  it('should read negative int64 timestamps (ten-byte varints)', () => {
    // Sample { value = 1 (field 1, fixed64), timestamp = -1 (field 2, varint of 10 bytes) }.
    const one = [...Buffer.from(new Float64Array([1]).buffer)];
    const minusOne = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
    const sample = [0x09, ...one, 0x10, ...minusOne];
    const req = delimited(1, delimited(2, sample));
    expect(decodeWriteRequest(Buffer.from(req)).series[0].samples).toEqual([{ value: 1, timeMs: -1 }]);
  });

  it('should skip unknown fields, exemplars and metadata, and count native histograms', () => {
    const ts = [
      ...delimited(1, [
        ...delimited(1, [...Buffer.from('__name__')]),
        ...delimited(2, [...Buffer.from('x')]),
      ]),
      ...delimited(3, [0x11, 0, 0, 0, 0, 0, 0, 0, 0]), // an exemplar
      ...delimited(4, [0x08, 0x05]), // a native histogram
      ...delimited(4, [0x08, 0x06]),
      0x78, // field 15, varint
      0x2a,
      0x7d, // field 15, fixed32
      1,
      2,
      3,
      4,
    ];
    const req = [...delimited(1, ts), ...delimited(3, [0x08, 0x01])]; // metadata
    expect(decodeWriteRequest(Buffer.from(req))).toEqual({
      series: [{ labels: [['__name__', 'x']], samples: [] }],
      histograms: 2,
    });
  });

  it('should say where a truncated message ends', () => {
    const body = encodeWriteRequest(series);
    const e = parseError(() => decodeWriteRequest(body.subarray(0, 30)));
    expect(e.message).toMatch(
      /^remote write: timeseries\[0\]: length \d+ runs past the end of the message at byte 2$/,
    );
  });

  it('should name the label whose value is not UTF-8', () => {
    const label = [...delimited(1, [0x61]), ...delimited(2, [0xff, 0xfe])];
    const e = parseError(() => decodeWriteRequest(Buffer.from(delimited(1, delimited(1, label)))));
    expect(e.message).toBe('remote write: timeseries[0].labels[0].value: invalid UTF-8 at byte 9');
  });

  it('should refuse a known field of the wrong wire type', () => {
    const e = parseError(() => decodeWriteRequest(Buffer.from([0x08, 0x01])));
    expect(e.message).toBe('remote write: timeseries[0]: wire type 0, expected 2 at byte 1');
  });

  it('should refuse a body that is not Snappy saying why', () => {
    const e = parseError(() => decodeRemoteWriteBody(Buffer.from('hello world, not snappy')));
    expect(e.message).toMatch(/^snappy: corrupt input \(/);
  });

  it('should refuse a Snappy header that promises more than the body can hold', () => {
    const e = parseError(() => snappyUncompress(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0])));
    expect(e.message).toMatch(/^snappy: declared length 4294967295 is more than 6 bytes can hold/);
  });

  it('should throw nothing but VIVA_ERR_PARSE on random bytes, compressed or not', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (bytes, compress) => {
        const body = compress ? snappyCompress(bytes) : bytes;
        try {
          decodeRemoteWriteBody(body);
        } catch (e) {
          expect(e).toBeInstanceOf(VivaError);
          expect((e as VivaError).code).toBe(ErrorCode.PARSE);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('should throw nothing but VIVA_ERR_PARSE on truncated or corrupted valid bodies', () => {
    const valid = encodeWriteRequest(series);
    const compressed = snappyCompress(valid);
    fc.assert(
      fc.property(
        fc.constantFrom(valid, compressed),
        fc.nat(),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        (source, cut, flips) => {
          const bytes = Buffer.from(source.subarray(0, cut % (source.length + 1)));
          for (const [i, b] of flips) if (bytes.length > 0) bytes[i % bytes.length] = b;
          try {
            if (source === valid) decodeWriteRequest(bytes);
            else decodeRemoteWriteBody(bytes);
          } catch (e) {
            expect(e).toBeInstanceOf(VivaError);
            expect((e as VivaError).code).toBe(ErrorCode.PARSE);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});
