import { describe, expect, it } from 'vitest';
import { Metric } from '../../model/metric/metric.ts';
import { formatTimeNs } from '../../model/metric/time.ts';
import type { ParseOptions } from '../types.ts';
import { LineProtocolParser, parseLineProtocol } from './parser.ts';

const T0: ParseOptions = { defaultTime: [0, 0] };

/** The single metric of one good line (fails the test otherwise). */
function one(line: string, options: ParseOptions = T0): Metric {
  const r = parseLineProtocol(line, options);
  expect(r.errors).toEqual([]);
  expect(r.metrics).toHaveLength(1);
  return r.metrics[0];
}

/** The single error of one bad line. */
function bad(line: string): string {
  const r = parseLineProtocol(line, T0);
  expect(r.metrics).toEqual([]);
  expect(r.errors).toHaveLength(1);
  return r.errors[0].message;
}

describe('LineProtocolParser', () => {
  it('should parse measurement, tags, typed fields and an exact timestamp', () => {
    const m = one('cpu,host=a,region=eu usage=1.5,n=3i,u=7u,s="x",b=true 1699999999123456789');
    expect(m).toEqual(
      new Metric(
        'cpu',
        { host: 'a', region: 'eu' },
        { usage: 1.5, n: 3, u: 7, s: 'x', b: true },
        1699999999123,
        456789,
        {
          n: 'int',
          u: 'uint',
        },
      ),
    );
  });

  it('should parse a plain Uint8Array, and report input that is neither bytes nor text', () => {
    expect(parseLineProtocol(new TextEncoder().encode('m f=1 1') as Buffer).metrics).toHaveLength(1);
    expect(parseLineProtocol(null as unknown as string).errors[0].message).toBe(
      'line 1: input is not a Buffer or a string',
    );
  });

  it('should parse a Buffer and the same text as a string identically', () => {
    const text = 'm,t=ü v="ä\\"",w=2 1\nm2 x=1\n';
    expect(parseLineProtocol(Buffer.from(text), T0)).toEqual(parseLineProtocol(text, T0));
  });

  describe('escaping', () => {
    it.each([
      ['comma and space in a measurement', 'a\\,b\\ c f=1', 'a,b c'],
      ['an equals sign in a measurement is literal', 'a=b f=1', 'a=b'],
      // InfluxDB 1.x reads `\=` and `\"` in a measurement as `=` and `"`, and `\\` as two backslashes.
      ['an escaped equals sign in a measurement', 'a\\=b f=1', 'a=b'],
      ['an escaped quote in a measurement', 'a\\"b f=1', 'a"b'],
      ['a double backslash in a measurement (kept)', 'a\\\\b f=1', 'a\\\\b'],
      ['a backslash before an ordinary byte is literal', 'C:\\temp f=1', 'C:\\temp'],
      ['three backslashes then a comma', 'a\\\\\\,b f=1', 'a\\\\,b'],
      ['a quote in a measurement is literal', 'a"b f=1', 'a"b'],
    ])('should unescape %s', (_what, line, name) => {
      expect(one(line).name).toBe(name);
    });

    it.each([
      [
        'comma, equals sign and space in tag keys and values',
        'm,a\\,b\\=c\\ d=e\\,f\\=g\\ h f=1',
        { 'a,b=c d': 'e,f=g h' },
      ],
      ['double backslashes in tags (kept)', 'm,k\\\\=v\\\\ f=1', { 'k\\\\': 'v\\\\' }],
      ['an escaped quote in tags (kept)', 'm,k=a\\"b f=1', { k: 'a\\"b' }],
      ['literal backslashes in tags', 'm,path=C:\\Program\\ Files f=1', { path: 'C:\\Program Files' }],
      ['quotes in tags', 'm,k="v" f=1', { k: '"v"' }],
    ])('should unescape %s', (_what, line, tags) => {
      expect(one(line).tags).toEqual(tags);
    });

    it('should unescape comma, equals sign, space and quote in field keys, and keep double backslashes', () => {
      expect(one('m a\\,b\\=c\\ d\\"e\\\\=1').fields).toEqual({ 'a,b=c d"e\\\\': 1 });
    });

    it.each([
      ['escaped quotes', '"say \\"hi\\""', 'say "hi"'],
      ['escaped backslashes', '"a\\\\b"', 'a\\b'],
      ['a backslash before an ordinary character (kept)', '"a\\nb"', 'a\\nb'],
      ['commas, spaces and equals signs', '"a, b=c"', 'a, b=c'],
      ['a raw newline', '"two\nlines"', 'two\nlines'],
      ['an empty string', '""', ''],
      ['non-ASCII text', '"žluťoučký 🐎"', 'žluťoučký 🐎'],
      ['a string ending in a backslash', '"end\\\\"', 'end\\'],
    ])('should read string values with %s', (_what, value, expected) => {
      expect(one(`m s=${value} 1`).fields.s).toBe(expected);
    });
  });

  describe('field values', () => {
    it.each(['t', 'T', 'true', 'True', 'TRUE'])('should read %s as true', (v) => {
      expect(one(`m b=${v}`).fields.b).toBe(true);
    });

    it.each(['f', 'F', 'false', 'False', 'FALSE'])('should read %s as false', (v) => {
      expect(one(`m b=${v}`).fields.b).toBe(false);
    });

    it.each(['tRUE', 'yes', 'truee', 'fals', 'nan', 'NaN', 'Inf', '+1', '0x10', '1_000', 'i'])(
      'should reject %s as a field value',
      (v) => {
        expect(bad(`m f=${v}`)).toMatch(/^line 1: invalid field value for "f": /);
      },
    );

    it.each([
      ['1', 1],
      ['-1', -1],
      ['1.5', 1.5],
      ['-0', -0],
      ['.5', 0.5],
      ['-.5', -0.5],
      ['1.', 1],
      ['1e10', 1e10],
      ['-1.5E-3', -1.5e-3],
      ['1.e5', 1e5],
      ['2E+2', 200],
      ['0.1', 0.1],
      ['123456789012345678', Number('123456789012345678')],
      ['0.30000000000000004', 0.30000000000000004],
      ['1.7976931348623157e308', 1.7976931348623157e308],
      ['5e-324', 5e-324],
      ['1e-400', 0],
      ['000123.4500', 123.45],
    ])('should read float %s exactly', (text, value) => {
      const m = one(`m f=${text}`);
      expect(Object.is(m.fields.f, value)).toBe(true);
      expect(m.fieldTypes).toBeNull();
    });

    it.each(['1.2.3', '1e', '1e+', '-', '.', '--1', '1-', '1ee5', '1.5x', '1e400', '-1e400'])(
      'should reject float %s',
      (v) => {
        expect(bad(`m f=${v}`)).toMatch(
          /^line 1: invalid field value for "f": (invalid number|float out of range)/,
        );
      },
    );

    it.each([
      ['0i', 0],
      ['-0i', 0],
      ['42i', 42],
      ['-42i', -42],
      ['9007199254740991i', 9007199254740991],
      ['-9007199254740991i', -9007199254740991],
      ['9007199254740992i', 9007199254740992n],
      ['9223372036854775807i', 9223372036854775807n],
      ['-9223372036854775808i', -9223372036854775808n],
      ['00012i', 12],
    ])('should read int %s exactly', (text, value) => {
      const m = one(`m n=${text}`);
      expect(m.fields.n).toStrictEqual(value);
      expect(m.fieldTypes).toEqual({ n: 'int' });
    });

    it.each([
      ['0u', 0],
      ['42u', 42],
      ['9007199254740991u', 9007199254740991],
      ['9223372036854775808u', 9223372036854775808n],
      ['18446744073709551615u', 18446744073709551615n],
    ])('should read uint %s exactly', (text, value) => {
      const m = one(`m n=${text}`);
      expect(m.fields.n).toStrictEqual(value);
      expect(m.fieldTypes).toEqual({ n: 'uint' });
    });

    it.each([
      ['9223372036854775808i', 'int64 out of range'],
      ['-9223372036854775809i', 'int64 out of range'],
      ['18446744073709551616u', 'uint64 out of range'],
      ['-1u', 'negative unsigned integer'],
      ['1.5i', 'invalid integer'],
      ['1e3i', 'invalid integer'],
      ['-i', 'invalid integer'],
      ['1.0u', 'invalid unsigned integer'],
    ])('should reject integer %s', (text, why) => {
      expect(bad(`m n=${text}`)).toBe(`line 1: invalid field value for "n": ${why} "${text}"`);
    });

    it('should keep the last of duplicate fields, with its type', () => {
      const m = one('m f=1i,g=2,f=2.5,g=3u');
      expect(m.fields).toEqual({ f: 2.5, g: 3 });
      expect(m.fieldTypes).toEqual({ g: 'uint' });
    });

    it('should keep the last of duplicate tags', () => {
      expect(one('m,t=a,t=b f=1').tags).toEqual({ t: 'b' });
    });

    it('should store "__proto__" as an ordinary tag and field key', () => {
      const m = one('m,__proto__=x __proto__=1i');
      expect(Object.keys(m.tags)).toEqual(['__proto__']);
      expect(Object.getOwnPropertyDescriptor(m.tags, '__proto__')?.value).toBe('x');
      expect(Object.getOwnPropertyDescriptor(m.fields, '__proto__')?.value).toBe(1);
      expect(Object.getPrototypeOf(m.tags)).toBe(Object.prototype);
      expect(m.fieldType('__proto__')).toBe('int');
    });
  });

  describe('timestamps', () => {
    it.each([
      ['ns', '1699999999123456789', 1699999999123, 456789],
      ['ns', '0', 0, 0],
      ['ns', '-1', -1, 999999],
      ['ns', '-1000000', -1, 0],
      ['ns', '-1000001', -2, 999999],
      ['ns', '123', 0, 123],
      ['ns', '9223372036854775807', 9223372036854, 775807],
      ['ns', '-9223372036854775808', -9223372036855, 224192],
      ['ns', '0001699999999123456789', 1699999999123, 456789],
      ['us', '1699999999123456', 1699999999123, 456000],
      ['us', '-1', -1, 999000],
      ['us', '9223372036854775', 9223372036854, 775000],
      ['ms', '1699999999123', 1699999999123, 0],
      ['ms', '-5', -5, 0],
      ['s', '1699999999', 1699999999000, 0],
      ['s', '-1', -1000, 0],
      ['s', '9223372036', 9223372036000, 0],
    ] as const)('should convert a %s timestamp %s exactly', (precision, ts, ms, ns) => {
      const m = one(`m f=1 ${ts}`, { precision, defaultTime: [0, 0] });
      expect([m.timeMs, m.timeNs]).toEqual([ms, ns]);
      expect(Object.is(m.timeMs, -0)).toBe(false);
    });

    it.each(['1699999999123456789', '-1', '0', '-9223372036854775808', '9223372036854775807', '999999'])(
      'should round-trip the nanosecond timestamp %s',
      (ts) => {
        const m = one(`m f=1 ${ts}`);
        expect(formatTimeNs(m.timeMs, m.timeNs)).toBe(ts);
      },
    );

    it.each([
      ['ns', '9223372036854775808'],
      ['ns', '-9223372036854775809'],
      ['ns', '99999999999999999999999'],
      ['us', '9223372036854776'],
      ['ms', '9223372036855'],
      ['s', '9223372037'],
      ['s', '-9223372037'],
    ] as const)('should reject the %s timestamp %s as out of range', (precision, ts) => {
      const r = parseLineProtocol(`m f=1 ${ts}`, { precision });
      expect(r.errors.map((e) => e.message)).toEqual([`line 1: timestamp out of range "${ts}"`]);
    });

    it.each(['12a', '1.5', '-', '--1', '1e9', '0x1'])('should reject the timestamp %s', (ts) => {
      expect(bad(`m f=1 ${ts}`)).toBe(`line 1: invalid timestamp "${ts}"`);
    });

    it('should give lines without a timestamp the default time', () => {
      const m = one('m f=1', { defaultTime: [1234, 5] });
      expect([m.timeMs, m.timeNs]).toEqual([1234, 5]);
    });

    it('should default to the current time', () => {
      const before = Date.now();
      const m = parseLineProtocol('m f=1').metrics[0];
      expect(m.timeMs).toBeGreaterThanOrEqual(before);
      expect(m.timeMs).toBeLessThanOrEqual(Date.now());
    });

    it('should apply the precision set on the parser unless the call overrides it', () => {
      const p = new LineProtocolParser({ precision: 's' });
      expect(p.parse('m f=1 2').metrics[0].timeMs).toBe(2000);
      expect(p.parse('m f=1 2', { precision: 'ms' }).metrics[0].timeMs).toBe(2);
    });
  });

  describe('lines', () => {
    it('should skip comments, blank lines and whitespace-only lines, and accept CRLF', () => {
      const r = parseLineProtocol(
        '# a comment\n\n   \r\nm f=1 1\r\n  # indented comment\nm g="x" 2\r\n\r\n',
        T0,
      );
      expect(r.errors).toEqual([]);
      expect(r.metrics.map((m) => [m.fields, m.timeNs])).toEqual([
        [{ f: 1 }, 1],
        [{ g: 'x' }, 2],
      ]);
    });

    it('should accept leading spaces, several spaces between sections and trailing spaces', () => {
      const m = one('   m,t=v   f=1    5   ');
      expect(m.tags).toEqual({ t: 'v' });
      expect(m.timeNs).toBe(5);
    });

    it('should accept a last line without a newline', () => {
      expect(parseLineProtocol('m f=1\nm f=2', T0).metrics).toHaveLength(2);
    });

    it('should count the newlines inside strings when numbering later lines', () => {
      const r = parseLineProtocol('m s="a\nb\nc"\nm f=oops\n', T0);
      expect(r.metrics[0].fields.s).toBe('a\nb\nc');
      expect(r.errors.map((e) => e.line)).toEqual([4]);
    });

    it('should give every metric its own tags object, also for repeated series', () => {
      const r = parseLineProtocol('m,t=a f=1 1\nm,t=a f=2 2\nm,t=a f=3 3\n', T0);
      const [a, b, c] = r.metrics;
      expect(a.tags).toEqual({ t: 'a' });
      expect(a.tags).not.toBe(b.tags);
      b.tags.t = 'changed';
      expect([a.tags.t, c.tags.t]).toEqual(['a', 'a']);
    });

    it('should follow a series whose field keys change from line to line', () => {
      const text = 'm,h=x a=1,b=2\nm,h=x a=1,c=2\nm,h=x a=1\nm,h=x a=1,b=2,c=3\nm,h=x b=1,a=2\nm,h=x ab=1\n';
      expect(parseLineProtocol(text, T0).metrics.map((m) => m.fields)).toEqual([
        { a: 1, b: 2 },
        { a: 1, c: 2 },
        { a: 1 },
        { a: 1, b: 2, c: 3 },
        { b: 1, a: 2 },
        { ab: 1 },
      ]);
    });
  });

  describe('errors', () => {
    it.each([
      [',t=v f=1', 'missing measurement name'],
      ['m', 'missing fields: expected a space and at least one field'],
      ['m,t=v', 'missing fields: expected a space and at least one field'],
      ['m ', 'missing fields'],
      ['m,t=v ', 'missing fields'],
      ['m, f=1', 'missing tag key after ","'],
      ['m,t f=1', 'missing "=" after tag key "t"'],
      ['m,t= f=1', 'missing value for tag "t"'],
      ['m,t=a=b f=1', 'unescaped "=" in value of tag "t"'],
      ['m f', 'missing "=" after field key "f"'],
      ['m =1', 'missing field key before "="'],
      ['m f=', 'missing value for field "f"'],
      ['m f=,g=1', 'missing value for field "f"'],
      ['m f=1,', 'missing field after ","'],
      ['m f=1,,g=2', 'missing field key before ","'],
      ['m usage=abc', 'invalid field value for "usage": expected number, string or boolean'],
      ['m s="abc', 'invalid field value for "s": unterminated string'],
      ['m s="abc"x', 'unexpected "x" after field value'],
      ['m f=1 1 2', 'unexpected text after timestamp: "2"'],
      ['m f=1\r2', 'unexpected "\\r" after field value'],
      ['m f=1 5\r2', 'unexpected text after timestamp: "\\r2"'],
    ])('should reject %j: %s', (line, message) => {
      expect(bad(line)).toBe(`line 1: ${message}`);
    });

    it('should report each bad line with its number and keep every good line', () => {
      const text = ['m f=1 1', 'm f=x 2', '', 'm,t= f=1 3', 'm f=4 4', '# c', 'garbage', 'm f=5 5'].join(
        '\n',
      );
      const r = parseLineProtocol(text, T0);
      expect(r.metrics.map((m) => m.fields.f)).toEqual([1, 4, 5]);
      expect(r.errors).toEqual([
        {
          line: 2,
          message: 'line 2: invalid field value for "f": expected number, string or boolean',
          text: 'm f=x 2',
        },
        { line: 4, message: 'line 4: missing value for tag "t"', text: 'm,t= f=1 3' },
        {
          line: 7,
          message: 'line 7: missing fields: expected a space and at least one field',
          text: 'garbage',
        },
      ]);
    });

    it('should skip a bad line whole, including newlines inside its quoted strings', () => {
      const r = parseLineProtocol('m f=bad,s="x\ny" 1\nm f=2 2\n', T0);
      expect(r.errors.map((e) => e.line)).toEqual([1]);
      expect(r.metrics.map((m) => m.fields.f)).toEqual([2]);
    });

    it('should resume on the next line after an unterminated string', () => {
      const r = parseLineProtocol('m s="open\nm f=1 1\nm f=2 2\n', T0);
      expect(r.errors.map((e) => e.message)).toEqual([
        'line 1: invalid field value for "s": unterminated string',
      ]);
      expect(r.metrics.map((m) => m.fields.f)).toEqual([1, 2]);
    });

    it('should reject invalid UTF-8 and keep the valid lines', () => {
      const input = Buffer.concat([
        Buffer.from('m,t='),
        Buffer.from([0xff, 0xfe]),
        Buffer.from(' f=1\nm,t=ok f=2\n'),
      ]);
      const r = parseLineProtocol(input, T0);
      expect(r.errors.map((e) => e.message)).toEqual(['line 1: invalid UTF-8 in value of tag "t"']);
      expect(r.metrics.map((m) => m.tags.t)).toEqual(['ok']);
    });

    it('should reject a NUL byte in a measurement name, tag or field key, naming the line', () => {
      const parser = new LineProtocolParser();
      for (const parse of [(t: string) => parseLineProtocol(t, T0), (t: string) => parser.parse(t, T0)]) {
        const r = parse('ok f=1\nm\0x f=2\nm,t\0=v f=3\nm,t=v\0 f=4\nm f\0=5\nm\\\0 f=6\nok f=7\n');
        expect(r.errors.map((e) => e.message)).toEqual([
          'line 2: NUL byte in measurement name',
          'line 3: NUL byte in tag key',
          'line 4: NUL byte in value of tag "t"',
          'line 5: NUL byte in field key',
          'line 6: NUL byte in measurement name',
        ]);
        expect(r.errors[0].text).toBe('m\0x f=2');
        expect(r.metrics.map((m) => m.fields.f)).toEqual([1, 7]);
      }
    });

    it('should truncate the text of a long bad line', () => {
      const r = parseLineProtocol('m f=x' + 'y'.repeat(1000), T0);
      expect(r.errors[0].text).toHaveLength(200);
    });
  });
});
