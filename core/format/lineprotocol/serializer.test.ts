import { describe, expect, it } from 'vitest';
import { Metric } from '../../model/metric/metric.ts';
import type { FieldTypes, Fields, Tags } from '../../model/metric/metric.ts';
import { parseLineProtocol } from './parser.ts';
import { LineProtocolSerializer, serializeLineProtocol, serializeMetricTo } from './serializer.ts';

function metric(
  name: string,
  tags: Tags,
  fields: Fields,
  types: FieldTypes | null = null,
  ms = 1699999999123,
  ns = 456789,
) {
  return new Metric(name, tags, fields, ms, ns, types);
}

describe('LineProtocolSerializer', () => {
  it('should write canonical line protocol with sorted tags and typed fields', () => {
    const m = metric(
      'cpu',
      { region: 'eu', host: 'a' },
      { usage: 1.5, n: 3, u: 7, s: 'x', b: true, f: false },
      {
        n: 'int',
        u: 'uint',
      },
    );
    expect(serializeMetricTo(m)).toBe(
      'cpu,host=a,region=eu usage=1.5,n=3i,u=7u,s="x",b=true,f=false 1699999999123456789\n',
    );
  });

  it('should report its content type and return a Buffer', () => {
    const s = new LineProtocolSerializer();
    expect(s.contentType).toBe('text/plain; charset=utf-8');
    expect(s.serialize([metric('m', {}, { f: 1 })]).toString()).toBe('m f=1 1699999999123456789\n');
  });

  describe('escaping', () => {
    it.each([
      ['a measurement with comma, space and equals sign', metric('a,b c=d', {}, { f: 1 }), 'a\\,b\\ c=d f=1'],
      [
        'tags with comma, equals sign and space',
        metric('m', { 'k,=': 'v =,' }, { f: 1 }),
        'm,k\\,\\==v\\ \\=\\, f=1',
      ],
      [
        'a field key with comma, equals sign and space',
        metric('m', {}, { 'a,b=c d': 1 }),
        'm a\\,b\\=c\\ d=1',
      ],
      [
        'a Windows path (backslash kept single)',
        metric('m', { p: 'C:\\Program Files\\x' }, { f: 1 }),
        'm,p=C:\\Program\\ Files\\x f=1',
      ],
      ['a trailing backslash (doubled)', metric('m\\', { k: 'v\\' }, { 'f\\': 1 }), 'm\\\\,k=v\\\\ f\\\\=1'],
      [
        'a backslash before a special character (doubled)',
        metric('m', { k: 'a\\,b' }, { f: 1 }),
        'm,k=a\\\\\\,b f=1',
      ],
      ['two backslashes (kept)', metric('m', { k: 'a\\\\b' }, { f: 1 }), 'm,k=a\\\\b f=1'],
      [
        'a backslash before a quote in a measurement or field key (doubled)',
        metric('m\\"', { k: 'a\\"' }, { 'f\\"': 1 }),
        'm\\\\",k=a\\" f\\\\"=1',
      ],
      [
        'a quote and backslash in a string',
        metric('m', {}, { s: 'say "hi" \\o/' }),
        'm s="say \\"hi\\" \\\\o/"',
      ],
      ['a raw newline in a string (kept)', metric('m', {}, { s: 'a\nb' }), 'm s="a\nb"'],
      ['a newline in a tag value (written as \\n)', metric('m', { k: 'a\nb' }, { f: 1 }), 'm,k=a\\nb f=1'],
      ['non-ASCII text', metric('mé', { ké: 'v é' }, { s: 'ü"' }), 'mé,ké=v\\ é s="ü\\""'],
    ])('should escape %s', (_what, m, expected) => {
      expect(serializeMetricTo(m).split(' 1699999999123456789')[0]).toBe(expected);
    });

    it('should read back every escaped element unchanged', () => {
      const m = metric(
        'a\\\\,b c\\\\=\\"',
        { 'k\\\\=,': 'v \\\\ ,=', z: 'C:\\x' },
        { 'f,\\\\ =\\"': 's', g: 'q"\\\n' },
      );
      const back = parseLineProtocol(serializeMetricTo(m)).metrics;
      expect(back).toEqual([m]);
    });
  });

  describe('values', () => {
    it.each([
      [1, '1'],
      [-1.5, '-1.5'],
      [0.1, '0.1'],
      [-0, '-0'],
      [1e21, '1e+21'],
      [1.5e-7, '1.5e-7'],
      [123456.789, '123456.789'],
      [0.30000000000000004, '0.30000000000000004'],
      [Number.MAX_VALUE, '1.7976931348623157e+308'],
      [5e-324, '5e-324'],
      [2 ** 53, '9007199254740992'],
    ])('should write the float %d as %s', (v, text) => {
      expect(serializeMetricTo(metric('m', {}, { f: v }))).toBe(`m f=${text} 1699999999123456789\n`);
    });

    it.each([
      [{ n: 9223372036854775807n }, { n: 'int' } as FieldTypes, 'n=9223372036854775807i'],
      [{ n: -9223372036854775808n }, null, 'n=-9223372036854775808i'],
      [{ n: 18446744073709551615n }, { n: 'uint' } as FieldTypes, 'n=18446744073709551615u'],
      [{ n: -5 }, { n: 'int' } as FieldTypes, 'n=-5i'],
      [{ n: 2 ** 60 }, { n: 'int' } as FieldTypes, 'n=1152921504606846976i'],
      [{ n: 1.5 }, { n: 'int' } as FieldTypes, 'n=1.5'],
      [{ n: -1 }, { n: 'uint' } as FieldTypes, 'n=-1'],
    ])('should write integer fields %o', (fields, types, text) => {
      expect(serializeMetricTo(metric('m', {}, fields as Fields, types))).toBe(
        `m ${text} 1699999999123456789\n`,
      );
    });

    it('should skip and count what line protocol cannot carry', () => {
      const metrics = [
        metric('m', { e: '', ok: 'v', '': 'x' }, { nan: NaN, inf: Infinity, ninf: -Infinity, f: 1, '': 2 }),
        metric('m', {}, { big: 2n ** 64n }, { big: 'uint' }),
        metric('m', {}, { big: -(2n ** 63n) - 1n }),
        metric('', {}, { f: 1 }),
        metric('#comment', {}, { f: 1 }),
        metric('m', {}, { nan: NaN }),
      ];
      const r = serializeLineProtocol(metrics);
      expect(r.data.toString()).toBe('m,ok=v f=1 1699999999123456789\n');
      expect([r.skippedMetrics, r.skippedFields, r.skippedTags]).toEqual([5, 4, 2]);
    });

    it('should skip and count NUL bytes in names, which the parser refuses', () => {
      const metrics = [
        metric('m\0', {}, { f: 1 }),
        metric('m', { 'k\0': 'v', k: 'v\0', ok: 'v' }, { 'f\0': 1, f: 2, s: 'nul\0ok' }),
      ];
      const r = serializeLineProtocol(metrics);
      expect(r.data.toString()).toBe('m,ok=v f=2,s="nul\0ok" 1699999999123456789\n');
      expect([r.skippedMetrics, r.skippedFields, r.skippedTags]).toEqual([1, 1, 2]);
      expect(parseLineProtocol(r.data).errors).toEqual([]);
    });
  });

  describe('timestamps', () => {
    it.each([
      ['ns', 1699999999123, 456789, '1699999999123456789'],
      ['us', 1699999999123, 456789, '1699999999123456'],
      ['ms', 1699999999123, 456789, '1699999999123'],
      ['s', 1699999999123, 456789, '1699999999'],
      ['ns', 0, 0, '0'],
      ['ns', 0, 42, '42'],
      ['ns', -1, 999999, '-1'],
      ['ns', -9223372036855, 224192, '-9223372036854775808'],
      ['us', -1, 999999, '-1'],
      ['s', -1, 0, '-1'],
      ['ms', -1, 5, '-1'],
      ['us', -9223372036001, 999999, '-9223372036000001'],
      ['us', 9223372036854, 775807, '9223372036854775'],
      ['us', 0, 5000, '5'],
      ['us', -1, 0, '-1000'],
    ] as const)('should write a %s timestamp from (%d ms, %d ns) as %s', (precision, ms, ns, text) => {
      const m = metric('m', {}, { f: 1 }, null, ms, ns);
      expect(serializeMetricTo(m, precision)).toBe(`m f=1 ${text}\n`);
      expect(new LineProtocolSerializer({ precision }).serialize([m]).toString()).toBe(`m f=1 ${text}\n`);
    });
  });

  it('should write large batches in one buffer', () => {
    const metrics = Array.from({ length: 5000 }, (_, i) =>
      metric('m', { host: `h${i}` }, { f: i, s: 'x'.repeat(i % 300) }),
    );
    const out = serializeLineProtocol(metrics).data;
    expect(parseLineProtocol(out).metrics).toEqual(metrics);
  });
});
