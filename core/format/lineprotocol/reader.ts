/**
 * One line protocol parse call over a byte buffer: the line loop, the series section (measurement
 * and tags), the fields and the timestamp, and recovery from bad lines. Everything mutable here
 * lives and dies with the call, except the parser's SeriesCache when it has one.
 */
import { isUtf8 } from 'node:buffer';
import { Metric } from '../../model/metric/metric.ts';
import type { FieldTypes, FieldValue, Fields, Tags } from '../../model/metric/metric.ts';
import type { Precision } from '../../model/metric/time.ts';
import type { ParseError } from '../types.ts';
import { lineEnd } from './linescan.ts';
import { TIME_OK, TIME_SYNTAX, parseTimeBytes, precisionCode } from './numbers.ts';
import { FORGOTTEN } from './series-cache.ts';
import type { SeriesCache } from './series-cache.ts';
import type { SeriesEntry } from './series.ts';
import { ByteCompare, FieldKeys, SeriesTable, bytesEqual, seriesEntry } from './series.ts';
import {
  FIELD_KEY_ESCAPES,
  KEY_ESCAPES,
  MEASUREMENT_ESCAPES,
  StringTable,
  tableSlots,
  unescape,
} from './strings.ts';
import type { Bytes } from './strings.ts';
import { V_BOOL, V_ERROR, V_FLOAT, V_INT, V_UINT, scalarValue, stringValue } from './values.ts';
import type { ValueOut } from './values.ts';

const NL = 10;
const CR = 13;
const SP = 32;
const QUOTE = 34;
const HASH = 35;
const COMMA = 44;
const EQ = 61;
const BACKSLASH = 92;
const NUL = 0;

/** Byte classes: which bytes end (or need a closer look inside) each kind of token. */
const END_MEAS = 1; // , space \n
const END_KEY = 2; // , = space \n  (tag keys, tag values, field keys)
const END_TIME = 4; // space \n \r
const SLOW = 8; // backslash, NUL, bytes >= 0x80
const SECTION = 16; // space \n backslash: the end of a series section, or a closer look
const CLASS = new Uint8Array(256);
for (const c of [COMMA, SP, NL]) CLASS[c] |= END_MEAS;
for (const c of [COMMA, EQ, SP, NL]) CLASS[c] |= END_KEY;
for (const c of [SP, NL, CR]) CLASS[c] |= END_TIME;
CLASS[BACKSLASH] |= SLOW;
CLASS[NUL] |= SLOW;
for (const c of [SP, NL, BACKSLASH]) CLASS[c] |= SECTION;
for (let c = 0x80; c < 0x100; c++) CLASS[c] |= SLOW;

const F_ESC = 1;
const F_HIGH = 2;
/** A NUL byte: refused in names (measurement, tag keys and values, field keys). */
const F_NUL = 4;

/** Longest excerpt of a bad line kept in ParseError.text. */
const TEXT_MAX = 200;

function quote(s: string): string {
  return JSON.stringify(s);
}

/** obj[key] = value, also for the key "__proto__" (which plain assignment would not store). */
function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true });
  else obj[key] = value;
}

/** One parse call: run() fills `metrics` and `errors`. */
export class Reader implements ValueOut {
  readonly metrics: Metric[] = [];
  readonly errors: ParseError[] = [];
  private readonly b: Bytes;
  private readonly n: number;
  /**
   * Null for small inputs, where a table costs more than the decoding it saves. With a cache,
   * made on the first string to decode (most calls find every series known and decode none).
   */
  private strings: StringTable | null;
  /** Slots of the table still to be made (with a cache), or 0. */
  private stringSlots: number;
  private readonly cmp: ByteCompare;
  private readonly dv: DataView;
  /** Series known from earlier calls (the parser's), or null: series memoized for this call only. */
  private readonly cache: SeriesCache | null;
  private readonly series: SeriesTable | null;
  /** The whole input is valid UTF-8, so pieces with high bytes need no check of their own. */
  private readonly utf8: boolean;
  private readonly precision: number;
  private readonly defMs: number;
  private readonly defNs: number;
  private line = 1;
  /** Series of the previous good line: its `next` predicts this line's. */
  private prev: SeriesEntry | null = null;
  /** Escape and high-byte flags of the last scanned token. */
  private flags = 0;
  /** Hash of the last decoded token, or of the last parsed series section. */
  private hash = 0;
  /** A new series the cache takes once its line has parsed, and the hash of its bytes. */
  private admitted: SeriesEntry | null = null;
  private admittedHash = 0;
  /** Tags built for the current line, or null when they come from a memoized series. */
  private fresh: Tags | null = null;
  /** Field keys of the current line, to teach its series entry when they changed. */
  private readonly keyStart: number[] = [];
  private readonly keyLen: number[] = [];
  private readonly keys: string[] = [];
  // ValueOut, and the timestamp
  kind = 0;
  num: number | bigint = 0;
  bool = false;
  str = '';
  end = 0;
  nl = 0;
  err = '';
  tMs = 0;
  tNs = 0;

  constructor(
    b: Bytes,
    precision: Precision,
    defaultTime: readonly [number, number] | undefined,
    cache: SeriesCache | null = null,
  ) {
    this.b = b;
    this.n = b.length;
    const slots = tableSlots(b.length);
    this.cmp = new ByteCompare(b);
    this.dv = this.cmp.dv;
    this.cache = cache;
    this.strings = slots === 0 || cache !== null ? null : new StringTable(b, this.cmp, slots);
    this.stringSlots = cache !== null ? slots : 0;
    this.series = slots === 0 || cache !== null ? null : new SeriesTable(this.cmp, slots);
    this.utf8 = isUtf8(b);
    this.precision = precisionCode(precision);
    this.defMs = defaultTime === undefined ? Date.now() : defaultTime[0];
    this.defNs = defaultTime === undefined ? 0 : defaultTime[1];
  }

  run(): void {
    const b = this.b;
    const n = this.n;
    let pos = 0;
    while (pos < n) {
      const c = b[pos];
      if (c === SP) {
        pos++;
      } else if (c === NL) {
        pos++;
        this.line++;
      } else if (c === CR && (pos + 1 === n || b[pos + 1] === NL)) {
        pos++;
      } else if (c === HASH) {
        const nl = b.indexOf(NL, pos);
        pos = nl === -1 ? n : nl;
      } else {
        pos = this.lineAt(pos);
      }
    }
  }

  /** Parses the line starting at `start`; returns where the next one starts. */
  private lineAt(start: number): number {
    this.nl = 0;
    let end: number;
    try {
      end = this.point(start);
    } catch (e) {
      // Defensive: a parser bug must cost one line, never the batch.
      this.err = `internal parser error: ${String(e)}`;
      end = -1;
    }
    if (end >= 0) {
      this.line += this.nl + 1;
      return end;
    }
    end = lineEnd(this.b, start, this.n);
    this.fail(start, end);
    let nl = 0;
    for (let i = start; i < end; i++) if (this.b[i] === NL) nl++;
    this.line += nl === 0 ? 1 : nl;
    this.prev = null;
    return end;
  }

  private fail(start: number, end: number): void {
    const b = this.b;
    let e = end;
    while (e > start && (b[e - 1] === NL || b[e - 1] === CR)) e--;
    const text = b.toString('utf8', start, Math.min(e, start + TEXT_MAX));
    this.errors.push({ line: this.line, message: `line ${this.line}: ${this.err}`, text });
  }

  private error(message: string): number {
    this.err = message;
    return -1;
  }

  /** Scans a token from `i` to its first unescaped byte of class `endClass`; sets flags. */
  private scan(i: number, endClass: number): number {
    const b = this.b;
    const n = this.n;
    const mask = endClass | SLOW;
    let flags = 0;
    for (; i < n; i++) {
      const c = b[i];
      if ((CLASS[c] & mask) === 0) continue;
      if (c === BACKSLASH) {
        flags |= F_ESC;
        if (i + 1 < n && b[i + 1] !== NL) {
          i++;
          if (b[i] === NUL) flags |= F_NUL;
        }
      } else if (c >= 0x80) {
        flags |= F_HIGH;
      } else if (c === NUL) {
        flags |= F_NUL;
      } else {
        break;
      }
    }
    this.flags = flags;
    return i;
  }

  /**
   * The string of the token just scanned, or null (err set) when it is not valid UTF-8. Sets
   * `hash` to a hash of the token's bytes.
   */
  private text(s: number, e: number, escapes: Uint8Array): string | null {
    const flags = this.flags;
    let strings = this.strings;
    if (strings === null && this.stringSlots !== 0) {
      strings = this.strings = new StringTable(this.b, this.cmp, this.stringSlots);
      this.stringSlots = 0;
    }
    if (flags === 0 && strings !== null) {
      const str = strings.get(s, e, false);
      this.hash = strings.hash;
      return str;
    }
    this.hash = e - s;
    if ((flags & F_NUL) !== 0) {
      this.err = 'NUL byte';
      return null;
    }
    const high = (flags & F_HIGH) !== 0;
    if (high && !this.utf8 && !isUtf8(this.b.subarray(s, e))) {
      this.err = 'invalid UTF-8';
      return null;
    }
    if ((flags & F_ESC) !== 0) return unescape(this.b, s, e, escapes, high);
    if (strings === null) return high ? this.b.utf8Slice(s, e) : this.b.latin1Slice(s, e);
    const str = strings.get(s, e, high);
    this.hash = strings.hash;
    return str;
  }

  /**
   * The series section at `start`: the one predicted by the previous line when its bytes match,
   * else a known one, else parsed now and memoized. Sets `fresh` when the tags were just built
   * and the metric may keep them (no copy needed).
   */
  private seriesAt(start: number): SeriesEntry | null {
    const b = this.b;
    const n = this.n;
    const prev = this.prev;
    this.admitted = null;
    const guess = prev === null ? null : prev.next;
    // A forgotten entry (no longer remembered by the cache) is never used.
    if (guess !== null && guess.gen !== FORGOTTEN) {
      const end = start + guess.len;
      if (end < n && b[end] === SP && bytesEqual(guess.src, guess.off, this.dv, start, guess.len)) {
        this.fresh = null;
        if (guess.gen !== 0) (this.cache as SeriesCache).predicted(guess);
        return guess;
      }
    }
    if (this.cache !== null) return this.cachedSeriesAt(start);
    const parsed = this.parseSeries(start);
    if (parsed === null) return null;
    const hash = this.hash;
    const series = this.series;
    let entry = series === null ? null : series.find(start, parsed.len, hash);
    if (entry === null) {
      entry = parsed;
      if (series !== null) series.put(entry, hash);
    }
    this.fresh = parsed.tags;
    if (prev !== null) prev.next = entry;
    return entry;
  }

  /**
   * seriesAt() with a SeriesCache: a known section costs a scan, a hash and a comparison. A new
   * one the cache does not take stays this call's own (its tags go to the metric uncopied).
   */
  private cachedSeriesAt(start: number): SeriesEntry | null {
    const cache = this.cache as SeriesCache;
    const end = this.sectionEnd(start);
    const hash = this.hash;
    let entry = end === -1 ? null : cache.find(this.dv, start, end - start, hash);
    this.fresh = null;
    if (entry === null) {
      entry = this.parseSeries(start);
      if (entry === null) return null;
      // A section that parses ends at its first unescaped space, where sectionEnd() stopped. It
      // is remembered once its whole line has parsed (point()), so bad lines leave no series.
      if (end !== -1 && cache.admit()) {
        this.admitted = entry;
        this.admittedHash = hash;
      } else this.fresh = entry.tags;
    }
    // A remembered entry must never predict one that refers to this call's input.
    const prev = this.prev;
    if (prev !== null && (entry.gen !== 0 || prev.gen === 0)) prev.next = entry;
    return entry;
  }

  /**
   * Where the series section at `start` ends (its first unescaped space), with `hash` set over
   * its bytes; -1 when a newline or the end of the input comes first.
   */
  private sectionEnd(start: number): number {
    const b = this.b;
    const n = this.n;
    let i = start;
    for (; i < n; i++) {
      const c = b[i];
      if ((CLASS[c] & SECTION) === 0) continue;
      if (c !== BACKSLASH) break;
      if (i + 1 < n && b[i + 1] !== NL) i++;
    }
    if (i === n || b[i] !== SP) return -1;
    const dv = this.dv;
    let h = i - start;
    let x = start;
    for (const end4 = i - 3; x < end4; x += 4) {
      h = Math.imul(h ^ dv.getInt32(x, true), 0x9e3779b1);
      h = (h << 13) | (h >>> 19);
    }
    for (; x < i; x++) h = Math.imul(h ^ b[x], 0x01000193);
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    this.hash = h ^ (h >>> 13);
    return i;
  }

  /** Parses measurement and tags at `start`, up to the first unescaped space; hash set over them. */
  private parseSeries(start: number): SeriesEntry | null {
    const b = this.b;
    const n = this.n;
    let i = this.scan(start, END_MEAS);
    if (i === start) return this.noSeries('missing measurement name');
    const name = this.text(start, i, MEASUREMENT_ESCAPES);
    if (name === null) return this.noSeries(`${this.err} in measurement name`);
    let sh = this.hash;
    const tags: Tags = {};
    while (i < n && b[i] === COMMA) {
      const ks = i + 1;
      const ke = this.scan(ks, END_KEY);
      if (ke === ks) return this.noSeries('missing tag key after ","');
      const key = this.text(ks, ke, KEY_ESCAPES);
      if (key === null) return this.noSeries(`${this.err} in tag key`);
      sh = (Math.imul(sh, 31) + this.hash) | 0;
      if (ke === n || b[ke] !== EQ) return this.noSeries(`missing "=" after tag key ${quote(key)}`);
      const vs = ke + 1;
      i = this.scan(vs, END_KEY);
      if (i === vs) return this.noSeries(`missing value for tag ${quote(key)}`);
      if (i < n && b[i] === EQ) return this.noSeries(`unescaped "=" in value of tag ${quote(key)}`);
      const value = this.text(vs, i, KEY_ESCAPES);
      if (value === null) return this.noSeries(`${this.err} in value of tag ${quote(key)}`);
      sh = (Math.imul(sh, 31) + this.hash) | 0;
      setOwn(tags, key, value);
    }
    if (i === n || b[i] !== SP)
      return this.noSeries('missing fields: expected a space and at least one field');
    this.hash = sh;
    return seriesEntry(this.dv, start, i - start, name, tags);
  }

  private noSeries(message: string): null {
    this.err = message;
    return null;
  }

  /** The field key at `i` (predicted when the series' last line, `known`, had it here); null with err set. */
  private fieldKey(i: number, known: FieldKeys, j: number): string | null {
    const b = this.b;
    const n = this.n;
    if (j < known.keys.length) {
      const len = known.len[j];
      if (i + len < n && b[i + len] === EQ && bytesEqual(known.src, known.off[j], this.dv, i, len)) {
        this.end = i + len;
        return known.keys[j];
      }
    }
    const ke = this.scan(i, END_KEY);
    this.end = ke;
    if (ke === i) {
      if (ke < n && b[ke] !== NL && b[ke] !== CR) {
        return this.noSeries(`missing field key before ${quote(String.fromCharCode(b[ke]))}`);
      }
      return this.noSeries(j === 0 ? 'missing fields' : 'missing field after ","');
    }
    const key = this.text(i, ke, FIELD_KEY_ESCAPES);
    if (key === null) return this.noSeries(`${this.err} in field key`);
    if (ke === n || b[ke] !== EQ) return this.noSeries(`missing "=" after field key ${quote(key)}`);
    return key;
  }

  /** Parses one point; returns the index after its line, or -1 with `err` set. */
  private point(start: number): number {
    const b = this.b;
    const n = this.n;
    const entry = this.seriesAt(start);
    if (entry === null) return -1;
    let i = start + entry.len;
    while (i < n && b[i] === SP) i++;
    const fields: Fields = {};
    let types: FieldTypes | null = null;
    let j = 0;
    let learn = false;
    const known = entry.fieldKeys;
    for (;;) {
      const key = this.fieldKey(i, known, j);
      if (key === null) return -1;
      const ke = this.end;
      this.keyStart[j] = i;
      this.keyLen[j] = ke - i;
      this.keys[j] = key;
      if (!learn && (j >= known.keys.length || known.keys[j] !== key)) learn = true;
      j++;
      const vs = ke + 1;
      const kind =
        vs < n && b[vs] === QUOTE ? stringValue(b, n, vs, this.utf8, this) : scalarValue(b, n, vs, this);
      if (kind === V_ERROR) {
        return this.error(
          vs === n || b[vs] === COMMA || b[vs] === SP || b[vs] === NL || b[vs] === CR
            ? `missing value for field ${quote(key)}`
            : `invalid field value for ${quote(key)}: ${this.err}`,
        );
      }
      if (kind === V_FLOAT || kind === V_INT || kind === V_UINT) {
        setOwn<FieldValue>(fields, key, this.num);
      } else {
        setOwn<FieldValue>(fields, key, kind === V_BOOL ? this.bool : this.str);
      }
      if (kind === V_INT || kind === V_UINT) {
        if (types === null) types = {};
        setOwn(types, key, kind === V_INT ? 'int' : 'uint');
      } else if (types !== null && key in types) {
        // A duplicate key: the last value wins, and with it its type.
        delete types[key];
        if (Object.keys(types).length === 0) types = null;
      }
      i = this.end;
      if (i < n && b[i] === COMMA) {
        i++;
        continue;
      }
      break;
    }
    if (learn || j !== known.keys.length) this.learnKeys(entry, j);
    const end = this.timestamp(i);
    if (end < 0) return -1;
    const tags = this.fresh ?? entry.copyTags();
    if (this.admitted === entry) {
      this.admitted = null;
      (this.cache as SeriesCache).add(entry, this.admittedHash);
      if (this.prev !== null) this.prev.next = entry;
    }
    this.metrics.push(new Metric(entry.name, tags, fields, this.tMs, this.tNs, types));
    this.prev = entry;
    return end;
  }

  private learnKeys(entry: SeriesEntry, count: number): void {
    if (this.cache !== null && entry.gen !== 0) {
      this.cache.learnKeys(entry, this.dv, this.keyStart, this.keyLen, this.keys, count);
      return;
    }
    entry.fieldKeys = new FieldKeys(
      this.dv,
      this.keyStart.slice(0, count),
      this.keyLen.slice(0, count),
      this.keys.slice(0, count),
    );
  }

  /** After the fields: optional timestamp, then the end of the line. Sets tMs, tNs. */
  private timestamp(i: number): number {
    const b = this.b;
    const n = this.n;
    this.tMs = this.defMs;
    this.tNs = this.defNs;
    if (i < n && b[i] !== SP && b[i] !== NL && !(b[i] === CR && (i + 1 === n || b[i + 1] === NL))) {
      return this.error(`unexpected ${quote(String.fromCharCode(b[i]))} after field value`);
    }
    while (i < n && b[i] === SP) i++;
    if (i < n && b[i] !== NL && b[i] !== CR) {
      const ts = i;
      while (i < n && (CLASS[b[i]] & END_TIME) === 0) i++;
      const rc = parseTimeBytes(b, ts, i, this.precision, this);
      if (rc !== TIME_OK) {
        const what = rc === TIME_SYNTAX ? 'invalid timestamp' : 'timestamp out of range';
        return this.error(`${what} ${quote(b.toString('utf8', ts, Math.min(i, ts + 40)))}`);
      }
      while (i < n && b[i] === SP) i++;
    }
    if (i === n) return n;
    if (b[i] === NL) return i + 1;
    if (b[i] === CR && (i + 1 === n || b[i + 1] === NL)) return i + 2 > n ? n : i + 2;
    let e = i;
    while (e < n && e < i + 40 && b[e] !== NL) e++;
    return this.error(`unexpected text after timestamp: ${quote(b.toString('utf8', i, e))}`);
  }
}
