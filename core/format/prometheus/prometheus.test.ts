import { describe, expect, it } from 'vitest';
import { Metric } from '../../model/metric/metric.ts';
import { renderExposition } from './exposition.ts';
import { escapeLabelValue, formatValue, labelName, metricName } from './names.ts';
import { encodeWriteRequest, remoteWriteBody } from './remotewrite.ts';
import { labelPairs, sampleName, sampleValue } from './samples.ts';
import { snappyUncompress } from './snappy.ts';

describe('prometheus names', () => {
  it.each([
    ['cpu_usage', 'cpu_usage'],
    ['cpu.usage-idle', 'cpu_usage_idle'],
    ['9lives', '_9lives'],
    ['a:b', 'a:b'],
    ['', '_'],
  ])('should make metric name %j valid as %j', (input, want) => {
    expect(metricName(input)).toBe(want);
  });

  it.each([
    ['host', 'host'],
    ['k,1', 'k_1'],
    ['__name__', '_name__'],
    ['a:b', 'a_b'],
    ['1x', '_1x'],
  ])('should make label name %j valid as %j', (input, want) => {
    expect(labelName(input)).toBe(want);
  });

  it('should escape backslashes, quotes and newlines in label values', () => {
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
  });

  it('should write special values as Go does', () => {
    expect([NaN, Infinity, -Infinity, 1.5, 1e21].map(formatValue)).toEqual([
      'NaN',
      '+Inf',
      '-Inf',
      '1.5',
      '1e+21',
    ]);
  });
});

describe('prometheus samples', () => {
  it('should name samples <measurement>_<field>, or <field> for the prometheus measurement', () => {
    expect(sampleName('cpu', 'usage idle')).toBe('cpu_usage_idle');
    expect(sampleName('prometheus', 'http_requests_total')).toBe('http_requests_total');
  });

  it('should take numbers and booleans and leave strings out', () => {
    expect([1.5, 3n, true, false, 'x'].map(sampleValue)).toEqual([1.5, 3, 1, 0, undefined]);
  });

  it('should turn tags into sorted, sanitized labels without empty values', () => {
    const m = new Metric('m', { zone: 'b', 'host.name': 'a', empty: '' }, { v: 1 }, 0);
    expect(labelPairs(m)).toEqual([
      ['host_name', 'a'],
      ['zone', 'b'],
    ]);
  });
});

describe('renderExposition', () => {
  it('should write HELP, TYPE and one line per sample', () => {
    const text = renderExposition(
      [
        {
          name: 'up',
          type: 'gauge',
          help: 'a\\b\nc',
          samples: [{ name: 'up', labels: [['job', 'x"y']], value: 1, timeMs: 5 }],
        },
        { name: 'empty', type: 'counter', help: '', samples: [] },
      ],
      true,
    );
    expect(text).toBe('# HELP up a\\\\b\\nc\n# TYPE up gauge\nup{job="x\\"y"} 1 5\n');
  });
});

/** A minimal protobuf reader for the test: the fields of one message as [field, wire type, value]. */
/** A varint at `pos`: [value, position after it] (the test's own reader, independent of the encoder). */
function readVarint(buf: Buffer, pos: number): [number, number] {
  let n = 0;
  for (let scale = 1; ; scale *= 128) {
    const b = buf[pos++];
    n += (b & 127) * scale;
    if (b < 128) return [n, pos];
  }
}

function fields(buf: Buffer): [number, number, Buffer | number][] {
  const out: [number, number, Buffer | number][] = [];
  let pos = 0;
  while (pos < buf.length) {
    const [key, p] = readVarint(buf, pos);
    pos = p;
    const field = key >>> 3;
    const wire = key & 7;
    if (wire === 0) {
      const [v, q] = readVarint(buf, pos);
      out.push([field, wire, v]);
      pos = q;
    } else if (wire === 1) {
      out.push([field, wire, buf.readDoubleLE(pos)]);
      pos += 8;
    } else if (wire === 2) {
      const [len, q] = readVarint(buf, pos);
      out.push([field, wire, buf.subarray(q, q + len)]);
      pos = q + len;
    } else throw new Error(`unexpected wire type ${wire}`);
  }
  return out;
}

describe('remote write encoding', () => {
  const series = [
    {
      labels: [
        ['__name__', 'cpu_usage'],
        ['host', 'héllo'],
      ] as [string, string][],
      samples: [
        { value: 0.5, timeMs: 1_700_000_000_123 },
        { value: -2, timeMs: 1_700_000_000_124 },
      ],
    },
    { labels: [['__name__', 'up']] as [string, string][], samples: [{ value: 1, timeMs: 1 }] },
  ];

  it('should encode TimeSeries with labels and samples as prompb defines them', () => {
    const decoded = fields(encodeWriteRequest(series)).map(([field, wire, ts]) => {
      expect([field, wire]).toEqual([1, 2]);
      return fields(ts as Buffer).map(([f, , v]) => {
        const inner = fields(v as Buffer);
        return f === 1
          ? ['label', ...inner.map(([, , x]) => (x as Buffer).toString())]
          : ['sample', ...inner.map(([, , x]) => x)];
      });
    });
    expect(decoded).toEqual([
      [
        ['label', '__name__', 'cpu_usage'],
        ['label', 'host', 'héllo'],
        ['sample', 0.5, 1_700_000_000_123],
        ['sample', -2, 1_700_000_000_124],
      ],
      [
        ['label', '__name__', 'up'],
        ['sample', 1, 1],
      ],
    ]);
  });

  it('should snappy-compress the request body', () => {
    expect(snappyUncompress(remoteWriteBody(series)).equals(encodeWriteRequest(series))).toBe(true);
  });
});
