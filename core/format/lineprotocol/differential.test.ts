/**
 * The optimized parser against a plain reference parser written from the spec, on random
 * batches built to hit the fast paths (repeated series, predicted field keys) and the edges
 * (escapes, spacing, CRLF, comments, strings with newlines, bad values).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Metric } from '../../model/metric/metric.ts';
import type { FieldTypes, FieldValue, Fields, Tags } from '../../model/metric/metric.ts';
import { LineProtocolParser, parseLineProtocol } from './parser.ts';

interface RefResult {
  metrics: Metric[];
  errorLines: number[];
}

class Bad extends Error {}

function define<T>(o: Record<string, T>, k: string, v: T): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

/** Reference parser over a string: slow, simple, straight from the rules. */
function reference(text: string, defaultTime: [number, number]): RefResult {
  const metrics: Metric[] = [];
  const errorLines: number[] = [];
  let pos = 0;
  let line = 1;
  const at = (i: number): string => (i < text.length ? text[i] : '');
  const eol = (i: number): boolean =>
    i >= text.length ||
    text[i] === '\n' ||
    (text[i] === '\r' && (i + 1 >= text.length || text[i + 1] === '\n'));
  const newlines = (a: number, b: number): number => text.slice(a, b).split('\n').length - 1;

  /**
   * A token up to an unescaped terminator (a backslash takes the next byte with it), read as
   * InfluxDB 1.x does: `\X` is X for X in escapes; any other backslash, `\\` included, is literal.
   */
  function token(i: number, ends: string, escapes: string): [string, number] {
    const start = i;
    while (i < text.length && !ends.includes(text[i])) {
      i += text[i] === '\\' && i + 1 < text.length && text[i + 1] !== '\n' ? 2 : 1;
    }
    const raw = text.slice(start, i);
    let out = '';
    for (let j = 0; j < raw.length; j++) {
      if (raw[j] === '\\' && j + 1 < raw.length && escapes.includes(raw[j + 1])) out += raw[++j];
      else out += raw[j];
    }
    return [out, i];
  }

  function value(i: number): [FieldValue, 'float' | 'int' | 'uint' | 'other', number] {
    if (at(i) === '"') {
      let out = '';
      i++;
      for (;;) {
        if (i >= text.length) throw new Bad();
        const c = text[i];
        if (c === '"') return [out, 'other', i + 1];
        if (c === '\\' && i + 1 < text.length) {
          const x = text[i + 1];
          out += x === '"' || x === '\\' ? x : '\\' + x;
          i += 2;
        } else {
          out += c;
          i++;
        }
      }
    }
    let e = i;
    while (e < text.length && !',  \n\r'.includes(text[e])) e++;
    const t = text.slice(i, e);
    if (/^-?\d+i$/.test(t)) {
      const v = BigInt(t.slice(0, -1));
      if (v < -(2n ** 63n) || v >= 2n ** 63n) throw new Bad();
      return [Number.isSafeInteger(Number(v)) ? Number(v) : v, 'int', e];
    }
    if (/^\d+u$/.test(t)) {
      const v = BigInt(t.slice(0, -1));
      if (v >= 2n ** 64n) throw new Bad();
      return [Number.isSafeInteger(Number(v)) ? Number(v) : v, 'uint', e];
    }
    if (/^-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(t)) {
      const v = Number(t);
      if (!Number.isFinite(v)) throw new Bad();
      return [v, 'float', e];
    }
    if (['t', 'T', 'true', 'True', 'TRUE'].includes(t)) return [true, 'other', e];
    if (['f', 'F', 'false', 'False', 'FALSE'].includes(t)) return [false, 'other', e];
    throw new Bad();
  }

  function point(i: number): number {
    const [name, afterName] = token(i, ', \n', ',= "');
    if (name === '' || name.includes('\0')) throw new Bad();
    i = afterName;
    const tags: Tags = {};
    while (at(i) === ',') {
      const [k, ke] = token(i + 1, ',= \n', ',= ');
      if (k === '' || k.includes('\0') || at(ke) !== '=') throw new Bad();
      const [v, ve] = token(ke + 1, ',= \n', ',= ');
      if (v === '' || v.includes('\0') || at(ve) === '=') throw new Bad();
      define(tags, k, v);
      i = ve;
    }
    if (at(i) !== ' ') throw new Bad();
    while (at(i) === ' ') i++;
    const fields: Fields = {};
    const types: FieldTypes = {};
    for (;;) {
      const [k, ke] = token(i, ',= \n', ',= "');
      if (k === '' || k.includes('\0') || at(ke) !== '=') throw new Bad();
      const [v, kind, ve] = value(ke + 1);
      define(fields, k, v);
      if (kind === 'int' || kind === 'uint') define(types, k, kind);
      else delete types[k];
      i = ve;
      if (at(i) === ',') {
        i++;
        continue;
      }
      break;
    }
    if (!(at(i) === ' ' || eol(i))) throw new Bad();
    let time = defaultTime;
    while (at(i) === ' ') i++;
    if (!eol(i)) {
      let e = i;
      while (e < text.length && !' \n\r'.includes(text[e])) e++;
      const t = text.slice(i, e);
      if (!/^-?\d+$/.test(t)) throw new Bad();
      const ns = BigInt(t);
      if (ns < -(2n ** 63n) || ns >= 2n ** 63n) throw new Bad();
      const ms = ns / 1_000_000n - (ns % 1_000_000n < 0n ? 1n : 0n);
      time = [Number(ms), Number(ns - ms * 1_000_000n)];
      i = e;
      while (at(i) === ' ') i++;
      if (!eol(i)) throw new Bad();
    }
    metrics.push(
      new Metric(name, tags, fields, time[0], time[1], Object.keys(types).length === 0 ? null : types),
    );
    if (i >= text.length) return i;
    return text[i] === '\n' ? i + 1 : Math.min(i + 2, text.length);
  }

  /** Where a bad line ends: its first newline outside a string opened by `="` in the fields. */
  function badEnd(i: number): number {
    let section = 0; // 0 series, 1 field key, 2 value start, 3 value, 4 string, 5 tail
    const start = i;
    while (i < text.length && text[i] === ' ') i++;
    if (at(i) === '#') section = 5;
    for (; i < text.length; i++) {
      const c = text[i];
      if (section === 4) {
        if (c === '\\') i++;
        else if (c === '"') section = 3;
        continue;
      }
      if (c === '\n') return i + 1;
      if (section === 0) {
        if (c === '\\') i += text[i + 1] === '\n' ? 0 : 1;
        else if (c === ' ') {
          while (text[i + 1] === ' ') i++;
          section = 1;
        }
      } else if (section === 1) {
        if (c === '\\') i += text[i + 1] === '\n' ? 0 : 1;
        else if (c === '=') section = 2;
        else if (c === ' ') section = 5;
      } else if (section === 2) {
        section = c === '"' ? 4 : c === ',' ? 1 : c === ' ' ? 5 : 3;
      } else if (section === 3) {
        if (c === ',') section = 1;
        else if (c === ' ') section = 5;
      }
    }
    if (section !== 4) return text.length;
    const nl = text.indexOf('\n', start);
    return nl === -1 ? text.length : nl + 1;
  }

  while (pos < text.length) {
    const c = text[pos];
    if (c === ' ') pos++;
    else if (c === '\n') {
      pos++;
      line++;
    } else if (c === '\r' && eol(pos)) pos++;
    else if (c === '#') {
      const nl = text.indexOf('\n', pos);
      pos = nl === -1 ? text.length : nl;
    } else {
      let end: number;
      try {
        end = point(pos);
        line += newlines(pos, end) + (end > 0 && text[end - 1] === '\n' ? 0 : 1);
      } catch (e) {
        if (!(e instanceof Bad)) throw e;
        errorLines.push(line);
        end = badEnd(pos);
        line += Math.max(1, newlines(pos, end));
      }
      pos = end;
    }
  }
  return { metrics, errorLines };
}

const piece = <T>(...xs: T[]) => fc.constantFrom(...xs);
const measurement = piece('cpu', 'mem', 'a\\ b', 'a\\,b', 'x=y', 'C:\\dir', 'é', 'm\\\\', 'n\0ul', '\\\0');
const tag = fc.tuple(
  piece('host', 'region', 'k\\=1', 'dc', 'z', '', 'q"', 'k\0'),
  piece('a', 'b', 'eu\\ west', 'v\\,1', 'ü', '', 'x=y', '"', '\0'),
);
const value = piece(
  '1',
  '-2.5',
  '1e3',
  '.5',
  '7i',
  '-0i',
  '8u',
  '9223372036854775807i',
  't',
  'FALSE',
  '"s"',
  '"a b,c=d"',
  '"q\\"\\\\"',
  '"two\nlines"',
  '"nul\0ok"',
  'bad',
  '1..2',
  '',
  '"open',
);
const field = fc.tuple(piece('f', 'g', 'usage_idle', 'k\\ x', 'f', '', 'a"b', 'f\\', 'f\0'), value);
const timestamp = piece(
  '',
  ' 1699999999123456789',
  ' -1',
  ' 0',
  ' 42',
  ' x',
  ' 9223372036854775808',
  '  7  ',
);
const line = fc
  .record({
    lead: piece('', '', ' '),
    m: measurement,
    tags: fc.array(tag, { maxLength: 3 }),
    sep: piece(' ', ' ', '  '),
    fields: fc.array(field, { minLength: 0, maxLength: 4 }),
    ts: timestamp,
    end: piece('\n', '\n', '\r\n', '\n# comment\n', '\n\n'),
  })
  .map(
    (l) =>
      l.lead +
      l.m +
      l.tags.map(([k, v]) => `,${k}=${v}`).join('') +
      l.sep +
      l.fields.map(([k, v]) => `${k}=${v}`).join(',') +
      l.ts +
      l.end,
  );

/**
 * Parsers that remember series across calls, living across all the runs of a property: one so
 * small that it turns its generations over all the time, one of the default size.
 */
const remembering = [new LineProtocolParser({ seriesCache: 4 }), new LineProtocolParser()];
let slab = Buffer.alloc(4096);

/**
 * Both parsers agree on `text`, parsed small (no lookup tables), padded past the table threshold,
 * and by parsers that remember series from earlier calls. The remembering parsers' metrics are
 * then changed as a processor would, which must not leak into later calls.
 */
function agree(text: string): void {
  const ref = reference(text, [0, 0]);
  const got = parseLineProtocol(text, { defaultTime: [0, 0] });
  expect(got.metrics).toEqual(ref.metrics);
  expect(got.errors.map((e) => e.line)).toEqual(ref.errorLines);
  const padded = parseLineProtocol('#' + 'pad'.repeat(400) + '\n' + text, { defaultTime: [0, 0] });
  expect(padded.metrics).toEqual(ref.metrics);
  expect(padded.errors.map((e) => e.line - 1)).toEqual(ref.errorLines);
  for (const parser of remembering) {
    // Inputs come in one reused buffer, as from a socket's pool: nothing the parser remembers may
    // refer to an earlier input's bytes, which are overwritten here.
    const bytes = Buffer.byteLength(text);
    if (bytes > slab.length) slab = Buffer.alloc(bytes * 2);
    slab.fill(0x20);
    slab.write(text);
    const cached = parser.parse(slab.subarray(0, bytes), { defaultTime: [0, 0] });
    expect(cached.metrics).toEqual(ref.metrics);
    expect(cached.errors.map((e) => e.line)).toEqual(ref.errorLines);
    for (const m of cached.metrics) {
      m.tags.added = 'x';
      delete m.tags.host;
    }
  }
}

describe('LineProtocolParser against a reference parser', () => {
  it('should agree on metrics and error lines for random batches', () => {
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 30 }), fc.boolean(), (lines, trailing) => {
        let text = lines.join('');
        if (!trailing) text = text.replace(/\r?\n$/, '');
        agree(text);
      }),
      { numRuns: 1500 },
    );
  });

  it('should agree on batches that repeat a few series with changing fields', () => {
    const series = piece('cpu,host=a', 'cpu,host=b', 'mem,host=a', 'cpu,host=a,z=1');
    const repeated = fc
      .tuple(series, fc.array(field, { minLength: 1, maxLength: 3 }), timestamp)
      .map(([s, fs, ts]) => `${s} ${fs.map(([k, v]) => `${k}=${v}`).join(',')}${ts}\n`);
    fc.assert(
      fc.property(fc.array(repeated, { minLength: 1, maxLength: 40 }), (lines) => {
        agree(lines.join(''));
      }),
      { numRuns: 1500 },
    );
  });
});
