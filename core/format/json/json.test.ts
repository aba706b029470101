import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Metric } from '../../model/metric/metric.ts';
import { anyTime, fieldValue, malformations, text } from '../testing.ts';
import type { ParseOptions } from '../types.ts';
import { JsonParser, parseJson } from './parser.ts';
import { JsonSerializer, serializeJson, serializeJsonMetric } from './serializer.ts';
import { timeFromNumber, timeFromRfc3339 } from './time.ts';

const T0: ParseOptions = { defaultTime: [7, 8] };

describe('JsonSerializer', () => {
  it("should write Telegraf's batch shape with sorted tags and a timestamp in seconds", () => {
    const m = new Metric(
      'cpu',
      { z: '1', a: '2' },
      { usage: 1.5, n: 3, s: 'x"y', b: false },
      1699999999123,
      456789,
      {
        n: 'int',
      },
    );
    const s = new JsonSerializer();
    expect(s.contentType).toBe('application/json');
    expect(s.serialize([m]).toString()).toBe(
      '{"metrics":[{"fields":{"usage":1.5,"n":3,"s":"x\\"y","b":false},"name":"cpu","tags":{"a":"2","z":"1"},"timestamp":1699999999}]}\n',
    );
  });

  it.each([
    ['ns', '1699999999123456789'],
    ['us', '1699999999123456'],
    ['ms', '1699999999123'],
    ['s', '1699999999'],
  ] as const)('should write %s timestamps exactly', (unit, ts) => {
    const m = new Metric('m', {}, { f: 1 }, 1699999999123, 456789);
    expect(serializeJsonMetric(m, unit)).toContain(`"timestamp":${ts}}`);
  });

  it('should write integers beyond 2^53 as exact digits', () => {
    const m = new Metric('m', {}, { big: 18446744073709551615n, neg: -9223372036854775808n }, 0, 0, {
      big: 'uint',
    });
    expect(serializeJsonMetric(m)).toContain(
      '"fields":{"big":18446744073709551615,"neg":-9223372036854775808}',
    );
  });

  it('should skip and count fields JSON cannot carry, and metrics left without fields', () => {
    const r = serializeJson([
      new Metric('a', {}, { x: NaN, y: 1 }, 0),
      new Metric('b', {}, { z: Infinity }, 0),
    ]);
    expect(JSON.parse(r.data.toString())).toEqual({
      metrics: [{ fields: { y: 1 }, name: 'a', tags: {}, timestamp: 0 }],
    });
    expect([r.skippedFields, r.skippedMetrics]).toEqual([1, 1]);
  });
});

describe('JsonParser', () => {
  const cpu = {
    name: 'cpu',
    tags: { host: 'a' },
    fields: { v: 1.5, s: 'x', b: true },
    timestamp: 1699999999,
  };
  const expected = new Metric('cpu', { host: 'a' }, { v: 1.5, s: 'x', b: true }, 1699999999000, 0);

  it.each([
    ['a batch', { metrics: [cpu] }],
    ['an array', [cpu]],
    ['a single object', cpu],
  ])('should accept %s', (_what, doc) => {
    expect(parseJson(JSON.stringify(doc), T0)).toEqual({ metrics: [expected], errors: [] });
  });

  it('should read numbers as floats, turn number and boolean tags into text, and drop null fields', () => {
    const r = parseJson('{"name":"m","tags":{"n":5,"b":true},"fields":{"i":3,"x":null,"y":2}}', T0);
    expect(r.metrics).toEqual([new Metric('m', { n: '5', b: 'true' }, { i: 3, y: 2 }, 7, 8)]);
    expect(r.metrics[0].fieldTypes).toBeNull();
  });

  it.each([
    ['s', 1699999999, [1699999999000, 0]],
    ['s', 1699999999.123456, [1699999999123, 456000]],
    ['ms', 1699999999123, [1699999999123, 0]],
    ['ms', 1699999999123.5, [1699999999123, 500000]],
    ['us', 1699999999123456, [1699999999123, 456000]],
    ['ns', 1699999999123456, [1699999999, 123456]],
    ['s', -1.5, [-1500, 0]],
    ['us', -1, [-1, 999000]],
    ['auto', 1699999999, [1699999999000, 0]],
    ['auto', 1699999999123, [1699999999123, 0]],
    ['auto', 1699999999123456, [1699999999123, 456000]],
    ['auto', 0, [0, 0]],
  ] as const)('should read a numeric timestamp in %s: %d', (unit, ts, time) => {
    const r = new JsonParser({ timestampUnits: unit }).parse(
      JSON.stringify({ name: 'm', fields: { f: 1 }, timestamp: ts }),
    );
    expect([r.metrics[0].timeMs, r.metrics[0].timeNs]).toEqual(time);
  });

  it('should keep 19-digit nanosecond timestamps exact, as numbers or strings', () => {
    const r = parseJson(
      '[{"name":"m","fields":{"timestamp":1},"timestamp":1699999999123456789},{"name":"m","fields":{"f":1},"timestamp":"-1699999999123456789"}]',
    );
    expect(r.errors).toEqual([]);
    expect(r.metrics.map((m) => [m.timeMs, m.timeNs])).toEqual([
      [1699999999123, 456789],
      [-1699999999124, 543211],
    ]);
    expect(r.metrics[0].fields).toEqual({ timestamp: 1 });
  });

  it('should keep big nanosecond timestamps of a whole batch exact', () => {
    const metrics = [1699999999123456789n, 1699999999123456790n, -1n].map((ns) => ({
      name: 'm',
      fields: { f: 1 },
      ts: ns,
    }));
    const text = JSON.stringify({
      metrics: metrics.map((m) => ({ ...m, ts: undefined, timestamp: 0 })),
    }).replace(/"timestamp":0/g, () => `"timestamp":${String(metrics.shift()?.ts)}`);
    const r = new JsonParser({ timestampUnits: 'ns' }).parse(text);
    expect(r.metrics.map((m) => [m.timeMs, m.timeNs])).toEqual([
      [1699999999123, 456789],
      [1699999999123, 456790],
      [-1, 999999],
    ]);
  });

  it.each([
    ['2023-11-14T22:13:19Z', [1699999999000, 0]],
    ['2023-11-14T22:13:19.123456789Z', [1699999999123, 456789]],
    ['2023-11-15T00:13:19.5+02:00', [1699999999500, 0]],
    ['1970-01-01T00:00:00Z', [0, 0]],
  ] as const)('should read the RFC 3339 timestamp %s', (ts, time) => {
    expect(timeFromRfc3339(ts)).toEqual(time);
    const r = parseJson(JSON.stringify({ name: 'm', fields: { f: 1 }, timestamp: ts }));
    expect([r.metrics[0].timeMs, r.metrics[0].timeNs]).toEqual(time);
  });

  it('should give metrics without a timestamp the default time', () => {
    const r = parseJson('{"name":"m","fields":{"f":1}}', T0);
    expect([r.metrics[0].timeMs, r.metrics[0].timeNs]).toEqual([7, 8]);
  });

  it('should report each bad record by its number and keep the good ones', () => {
    const docs = [
      cpu,
      { name: 'm', fields: { nested: { a: 1 } } },
      { fields: { f: 1 } },
      { name: 'm', fields: {} },
      { name: 'm', fields: { f: [1] } },
      { name: 'm', tags: { t: { x: 1 } }, fields: { f: 1 } },
      { name: 'm', fields: { f: 1 }, timestamp: 'yesterday' },
      { name: 'm', fields: { f: 1 }, timestamp: true },
      'text',
      { name: 'm', tags: [], fields: { f: 1 } },
      { name: ' ', tags: { '': '' }, fields: { '': 0 } },
      { name: 'm', fields: { '': 0 } },
      cpu,
    ];
    const r = parseJson(JSON.stringify(docs), T0);
    expect(r.metrics).toEqual([expected, expected]);
    expect(r.errors.map((e) => e.message)).toEqual([
      'record 2: field "nested": a nested object is not supported',
      'record 3: missing "name" (a non-empty string)',
      'record 4: no fields',
      'record 5: field "f": an array is not supported',
      'record 6: tag "t": expected a string, got a nested object',
      'record 7: invalid timestamp "yesterday": expected a number or RFC 3339 text',
      'record 8: "timestamp" must be a number or a string, got boolean',
      'record 9: expected a metric object, got string',
      'record 10: "tags" must be an object, got an array',
      'record 11: a tag key must not be empty',
      'record 12: a field key must not be empty',
    ]);
    expect(r.errors.map((e) => e.line)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });

  it('should report invalid JSON once, with the line of the syntax error', () => {
    const r = parseJson('[\n{"name":"m","fields":{"f":1}},\n{"name" "x"}\n]');
    expect(r.metrics).toEqual([]);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0].line).toBe(3);
    expect(r.errors[0].message).toMatch(/^line 3: invalid JSON: /);
  });

  it.each(['', '42', 'null', '"x"'])('should reject the document %j without throwing', (doc) => {
    const r = parseJson(doc);
    expect(r.metrics).toEqual([]);
    expect(r.errors).toHaveLength(1);
  });

  it('should store "__proto__" keys as ordinary tags and fields', () => {
    const r = parseJson('{"name":"m","tags":{"__proto__":"t"},"fields":{"__proto__":1}}', T0);
    expect(Object.getOwnPropertyDescriptor(r.metrics[0].tags, '__proto__')?.value).toBe('t');
    expect(Object.keys(r.metrics[0].fields)).toEqual(['__proto__']);
  });

  it('should never throw on random text and return only well-formed metrics', () => {
    const piece = fc.constantFrom(
      '{',
      '}',
      '[',
      ']',
      ',',
      ':',
      '"name"',
      '"fields"',
      '"tags"',
      '"timestamp"',
      '"m"',
      '1',
      'null',
      'true',
      '"metrics"',
      '{"f":1}',
      '1e400',
      '"2023-11-14T22:13:19Z"',
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.array(piece, { maxLength: 40 }).map((a) => a.join('')),
          fc.string({ maxLength: 100 }),
        ),
        (doc) => {
          const r = parseJson(doc);
          for (const m of r.metrics) expect(malformations(m)).toEqual([]);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('JSON round trip', () => {
  it('should parse what it serialized back to equal metrics (numbers as floats)', () => {
    const metric = fc
      .record({
        name: text({ minLength: 1 }),
        tags: fc.dictionary(text({ minLength: 1, maxLength: 6 }), text({ maxLength: 8 }), { maxKeys: 4 }),
        fields: fc.dictionary(text({ minLength: 1, maxLength: 6 }), fieldValue({ ints: false }), {
          minKeys: 1,
          maxKeys: 4,
        }),
        time: anyTime,
      })
      .map(({ name, tags, fields, time }) => {
        const f = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, v.v]));
        return new Metric(name, { ...tags }, f, time[0], time[1]);
      });
    fc.assert(
      fc.property(fc.array(metric, { minLength: 1, maxLength: 10 }), (metrics) => {
        const r = new JsonParser({ timestampUnits: 'ns' }).parse(serializeJson(metrics, 'ns').data);
        expect(r.errors).toEqual([]);
        expect(r.metrics).toEqual(metrics);
      }),
      { numRuns: 300 },
    );
  });

  it('should round numeric timestamps to the microsecond for fractional seconds', () => {
    expect(timeFromNumber(1.0000005, 's')).toEqual([1000, 1000]);
    expect(timeFromNumber(1.9999999, 's')).toEqual([2000, 0]);
  });
});
