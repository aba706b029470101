/**
 * Decoder of the binary batch format (layout in wire.ts). Every read is bounds-checked and every
 * loop consumes input, so garbage ends in a VivaError, never in a crash or a hang.
 */
import { isUtf8 } from 'node:buffer';
import { ErrorCode, VivaError } from '../../model/errors/index.ts';
import { Metric } from '../../model/metric/metric.ts';
import type { FieldTypes, Fields, Tags } from '../../model/metric/metric.ts';
import {
  FLAGS_MASK,
  HAS_TYPES,
  isVarTime,
  K_BIGDEC,
  K_F64,
  K_FALSE,
  K_I64,
  K_NEGVAR,
  K_STRING,
  K_TRUE,
  K_U64,
  K_VARINT,
  MARK_INT,
  MARK_SHIFT,
  MARK_UINT,
  MAX_BIGDEC_CHARS,
  MIN_METRIC_BYTES,
  NS_F64,
  REF_BASE,
  REF_END,
  TIME_F64,
  VARINT_LIMIT,
  VERSION,
} from './wire.ts';

class Malformed extends Error {}

const EMPTY = Buffer.alloc(0);
let buf: Buffer = EMPTY;
let pos = 0;
let end = 0;
let table: string[] = [];

/** Throws what is wrong and where: `at` is the offset of the offending item (default: the cursor). */
function fail(what: string, at = pos): never {
  throw new Malformed(`${what} at byte ${at}`);
}

function byte(): number {
  if (pos >= end) fail('unexpected end');
  return buf[pos++];
}

function varintSlow(): number {
  let v = 0;
  let mul = 1;
  for (let i = 0; i < 8; i++) {
    const b = byte();
    v += (b & 127) * mul;
    if (b < 128) {
      if (v >= VARINT_LIMIT) fail('varint out of range');
      return v;
    }
    mul *= 128;
  }
  return fail('varint too long');
}

function varint(): number {
  const b = buf[pos];
  if (b < 128 && pos < end) {
    pos++;
    return b;
  }
  // Two bytes (string references past the 126th, small deltas): below 2^14, never out of range.
  if (pos + 1 < end) {
    const c = buf[pos + 1];
    if (c < 128) {
      pos += 2;
      return (b & 127) + c * 128;
    }
  }
  return varintSlow();
}

/** Moves past a varint, checking what varint() checks (same errors at the same bytes). */
function skipVarint(): void {
  const start = pos;
  const lim = start + 8 < end ? start + 8 : end;
  for (let p = start; p < lim; p++) {
    const b = buf[p];
    if (b < 128) {
      pos = p + 1;
      // The 8th byte carries bits 49-55: the value is 2^53 or more when it is 16 or more.
      if (b >= 16 && p - start === 7) fail('varint out of range');
      return;
    }
  }
  pos = lim;
  fail(lim - start === 8 ? 'varint too long' : 'unexpected end');
}

function f64(): number {
  if (pos + 8 > end) fail('unexpected end');
  const v = buf.readDoubleLE(pos);
  pos += 8;
  return v;
}

function str(): string {
  const n = varint();
  const at = pos;
  if (n > end - at) fail('string past the end');
  pos = at + n;
  if (n < 16) {
    let ascii = true;
    for (let i = at; i < pos; i++) {
      if (buf[i] > 127) {
        ascii = false;
        break;
      }
    }
    if (ascii) return buf.toString('latin1', at, pos);
  }
  return buf.toString('utf8', at, pos);
}

/** A string reference, or null for the end of a list. */
function ref(): string | null {
  const r = varint();
  if (r >= REF_BASE) {
    const s = table[r - REF_BASE];
    if (s === undefined) fail('unknown string reference');
    return s;
  }
  if (r === REF_END) return null;
  // REF_NEW: an inline string that joins the table.
  const s = str();
  table.push(s);
  return s;
}

function refNotEnd(): string {
  const s = ref();
  return s === null ? fail('unexpected end of list') : s;
}

function big(kind: number): bigint {
  if (kind === K_BIGDEC) {
    const digits = str();
    if (digits.length > MAX_BIGDEC_CHARS || !/^-?\d+$/.test(digits)) fail('bad decimal bigint');
    return BigInt(digits);
  }
  if (pos + 8 > end) fail('unexpected end');
  const v = kind === K_I64 ? buf.readBigInt64LE(pos) : buf.readBigUInt64LE(pos);
  pos += 8;
  return v;
}

function value(kind: number): number | bigint | string | boolean {
  switch (kind) {
    case K_F64:
      return f64();
    case K_VARINT:
      return varint();
    case K_NEGVAR:
      return -varint() - 1;
    case K_STRING:
      return str();
    case K_TRUE:
      return true;
    case K_FALSE:
      return false;
    case K_I64:
    case K_U64:
    case K_BIGDEC:
      return big(kind);
    default:
      return fail('unknown field kind');
  }
}

function set(obj: Record<string, unknown>, k: string, v: unknown): void {
  // Plain assignment to "__proto__" would change the prototype instead of adding a key.
  if (k === '__proto__')
    Object.defineProperty(obj, k, { value: v, enumerable: true, writable: true, configurable: true });
  else obj[k] = v;
}

function metric(prevMs: number): Metric {
  const start = pos;
  const flags = byte();
  if ((flags & ~FLAGS_MASK) !== 0) fail('bad metric flags', start);
  const nameAt = pos;
  const name = refNotEnd();
  if (name === '') fail('empty metric name', nameAt);
  let timeMs: number;
  if ((flags & TIME_F64) === 0) {
    const z = varint();
    timeMs = prevMs + (z % 2 === 0 ? z / 2 : -(z + 1) / 2);
  } else {
    timeMs = f64();
  }
  const timeNs = (flags & NS_F64) === 0 ? varint() : f64();
  const tags: Tags = {};
  for (let at = pos, k = ref(); k !== null; at = pos, k = ref()) {
    if (Object.hasOwn(tags, k)) fail('duplicate tag key', at);
    set(tags, k, refNotEnd());
  }
  const fields = readFields(flags);
  if (fields.count === 0) fail('metric without fields', start);
  return new Metric(name, tags, fields.values, timeMs, timeNs, fields.types);
}

/**
 * The field list of a metric. Rejects what no Metric holds: a key twice, a bigint without an
 * int/uint type, an int/uint type on a string or boolean.
 */
function readFields(flags: number): { values: Fields; types: FieldTypes | null; count: number } {
  const values: Fields = {};
  let types: FieldTypes | null = (flags & HAS_TYPES) === 0 ? null : {};
  let count = 0;
  for (let at = pos, k = ref(); k !== null; at = pos, k = ref()) {
    if (Object.hasOwn(values, k)) fail('duplicate field key', at);
    const typeAt = pos;
    const t = byte();
    const kind = t & 15;
    const v = value(kind);
    const mark = t >> MARK_SHIFT;
    if (mark === 0) {
      if (typeof v === 'bigint') fail('bigint field without int/uint type', typeAt);
    } else {
      if (mark !== MARK_INT && mark !== MARK_UINT) fail('bad field marker', typeAt);
      if (typeof v !== 'number' && typeof v !== 'bigint') fail('int/uint type on a non-number field', typeAt);
      set((types ??= {}), k, mark === MARK_INT ? 'int' : 'uint');
    }
    set(values, k, v);
    count++;
  }
  return { values, types, count };
}

function header(input: Uint8Array): number {
  buf = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  pos = 0;
  end = buf.length;
  if (byte() !== VERSION) fail('unknown version', 0);
  const count = varint();
  if (count * MIN_METRIC_BYTES > end - pos) fail('metric count larger than the input');
  return count;
}

function wrap(err: unknown): VivaError {
  const msg = err instanceof Error ? err.message : String(err);
  return new VivaError(ErrorCode.PARSE, `binary batch malformed: ${msg}`, { cause: err });
}

/** Decodes a batch made by encodeBatch; throws a VivaError (VIVA_ERR_PARSE) when malformed. */
export function decodeBatch(input: Uint8Array): Metric[] {
  try {
    const count = header(input);
    table = [];
    const out = new Array<Metric>(count);
    let prevMs = 0;
    for (let i = 0; i < count; i++) {
      const m = metric(prevMs);
      out[i] = m;
      if (isVarTime(m.timeMs)) prevMs = m.timeMs;
    }
    if (pos !== end) fail('trailing bytes');
    return out;
  } catch (err) {
    throw wrap(err);
  } finally {
    buf = EMPTY;
    table = [];
  }
}

/** The number of metrics in a batch, read from its header only; throws like decodeBatch. */
export function peekBatchCount(input: Uint8Array): number {
  try {
    return header(input);
  } catch (err) {
    throw wrap(err);
  } finally {
    buf = EMPTY;
  }
}

// ---- Validation without materializing (validateBatch) ------------------------------------------
// The same walk as metric()/readFields() over the same cursor and primitives, so the same input
// fails with the same message at the same byte, but strings stay byte spans of the input. Each
// string table entry gets, when it is read, a hash of its bytes, or -1 when it is not valid UTF-8
// (the decoder turns each bad sequence into U+FFFD, so two different spans can decode equal).
// Two keys are the same string when they are one table entry; otherwise valid entries with
// different hashes differ, and the rest are compared by bytes, or decoded when a span is invalid.

/**
 * String table of the validator: start, byte length and hash (-1: not UTF-8) of each of its
 * spanCount entries; the arrays are kept from batch to batch and grow by doubling.
 */
let spanAt = new Int32Array(1024);
let spanLen = new Int32Array(1024);
let spanHash = new Int32Array(1024);
let spanCount = 0;
/** Table arrays longer than this are dropped after the batch. */
const SPAN_KEEP = 1 << 16;
/** Up to this many keys a list is checked for duplicates pairwise; beyond, by a Set. */
const KEY_SCAN = 16;
/** Keys of the current tag or field list (table indexes); a Set of their strings past KEY_SCAN. */
const keys = new Int32Array(KEY_SCAN);
let keyCount = 0;
let keySet: Set<string> | null = null;

function growSpans(): void {
  const n = spanAt.length * 2;
  const at = new Int32Array(n);
  const len = new Int32Array(n);
  const hash = new Int32Array(n);
  at.set(spanAt);
  len.set(spanLen);
  hash.set(spanHash);
  spanAt = at;
  spanLen = len;
  spanHash = hash;
}

function skipStr(): void {
  const n = varint();
  const at = pos;
  if (n > end - at) fail('string past the end');
  pos = at + n;
}

/** FNV-1a of a span, non-negative, or -1 when the span is not valid UTF-8. */
function spanHashOf(at: number, stop: number): number {
  let h = 0x811c9dc5;
  let ascii = true;
  for (let j = at; j < stop; j++) {
    const c = buf[j];
    if (c > 127) ascii = false;
    h = Math.imul(h ^ c, 0x01000193);
  }
  return ascii || isUtf8(buf.subarray(at, stop)) ? h >>> 1 : -1;
}

/** A string reference as a table index, or -1 for the end of a list. */
function refIndex(): number {
  const r = varint();
  if (r >= REF_BASE) {
    const i = r - REF_BASE;
    if (i >= spanCount) fail('unknown string reference');
    return i;
  }
  if (r === REF_END) return -1;
  // REF_NEW (the only value left): an inline string that joins the table.
  const n = varint();
  const at = pos;
  if (n > end - at) fail('string past the end');
  pos = at + n;
  if (spanCount === spanAt.length) growSpans();
  spanAt[spanCount] = at;
  spanLen[spanCount] = n;
  spanHash[spanCount] = spanHashOf(at, pos);
  return spanCount++;
}

function refIndexNotEnd(): number {
  const i = refIndex();
  return i < 0 ? fail('unexpected end of list') : i;
}

function spanString(i: number): string {
  return buf.toString('utf8', spanAt[i], spanAt[i] + spanLen[i]);
}

/** Whether table entries a and b decode to the same string. */
function sameString(a: number, b: number): boolean {
  if (a === b) return true;
  const ha = spanHash[a];
  const hb = spanHash[b];
  if (ha >= 0 && hb >= 0) {
    // Valid UTF-8 decodes one to one: equal strings are equal bytes.
    const n = spanLen[a];
    if (ha !== hb || n !== spanLen[b]) return false;
    const pa = spanAt[a];
    const pb = spanAt[b];
    for (let j = 0; j < n; j++) if (buf[pa + j] !== buf[pb + j]) return false;
    return true;
  }
  return spanString(a) === spanString(b);
}

/** Adds a key to the current list; false when the list already holds an equal one. */
function addKey(k: number): boolean {
  if (keySet !== null) {
    const s = spanString(k);
    if (keySet.has(s)) return false;
    keySet.add(s);
    return true;
  }
  const h = spanHash[k];
  for (let j = 0; j < keyCount; j++) {
    // Two valid entries with different hashes differ: skip the call for them.
    const o = keys[j];
    if (o === k) return false;
    const ho = spanHash[o];
    if ((ho === h || ho < 0 || h < 0) && sameString(o, k)) return false;
  }
  if (keyCount === KEY_SCAN) {
    keySet = new Set();
    for (let j = 0; j < keyCount; j++) keySet.add(spanString(keys[j]));
    keySet.add(spanString(k));
  } else {
    keys[keyCount++] = k;
  }
  return true;
}

function clearKeys(): void {
  keyCount = 0;
  if (keySet !== null) keySet = null;
}

function skipF64(): void {
  if (pos + 8 > end) fail('unexpected end');
  pos += 8;
}

/** Skips a field value of a kind; checks what value() and big() check. */
function skipValue(kind: number): void {
  switch (kind) {
    case K_F64:
      skipF64();
      return;
    case K_VARINT:
    case K_NEGVAR:
      skipVarint();
      return;
    case K_STRING:
      skipStr();
      return;
    case K_TRUE:
    case K_FALSE:
      return;
    case K_I64:
    case K_U64:
      skipF64();
      return;
    case K_BIGDEC: {
      const n = varint();
      const at = pos;
      if (n > end - at) fail('string past the end');
      pos = at + n;
      // As /^-?\d+$/ on the decoded string: a non-ASCII byte never decodes to a digit or "-".
      let j = at < pos && buf[at] === 45 ? at + 1 : at;
      let ok = n <= MAX_BIGDEC_CHARS && j < pos;
      for (; ok && j < pos; j++) ok = buf[j] >= 48 && buf[j] <= 57;
      if (!ok) fail('bad decimal bigint');
      return;
    }
    default:
      fail('unknown field kind');
  }
}

function skimMetric(): void {
  const start = pos;
  const flags = byte();
  if ((flags & ~FLAGS_MASK) !== 0) fail('bad metric flags', start);
  const nameAt = pos;
  if (spanLen[refIndexNotEnd()] === 0) fail('empty metric name', nameAt);
  if ((flags & TIME_F64) === 0) skipVarint();
  else skipF64();
  if ((flags & NS_F64) === 0) skipVarint();
  else skipF64();
  clearKeys();
  for (let at = pos, k = refIndex(); k >= 0; at = pos, k = refIndex()) {
    if (!addKey(k)) fail('duplicate tag key', at);
    refIndexNotEnd();
  }
  clearKeys();
  let count = 0;
  for (let at = pos, k = refIndex(); k >= 0; at = pos, k = refIndex()) {
    if (!addKey(k)) fail('duplicate field key', at);
    const typeAt = pos;
    const t = byte();
    const kind = t & 15;
    skipValue(kind);
    const mark = t >> MARK_SHIFT;
    if (mark === 0) {
      if (kind === K_I64 || kind === K_U64 || kind === K_BIGDEC)
        fail('bigint field without int/uint type', typeAt);
    } else {
      if (mark !== MARK_INT && mark !== MARK_UINT) fail('bad field marker', typeAt);
      if (kind === K_STRING || kind === K_TRUE || kind === K_FALSE)
        fail('int/uint type on a non-number field', typeAt);
    }
    count++;
  }
  if (count === 0) fail('metric without fields', start);
}

/**
 * Checks a batch as decodeBatch does, without building metrics or (mostly) strings: returns the
 * number of metrics, or throws the VivaError decodeBatch would throw for the same input.
 */
export function validateBatch(input: Uint8Array): number {
  try {
    const count = header(input);
    spanCount = 0;
    for (let i = 0; i < count; i++) skimMetric();
    if (pos !== end) fail('trailing bytes');
    return count;
  } catch (err) {
    throw wrap(err);
  } finally {
    buf = EMPTY;
    spanCount = 0;
    // A batch with a huge table does not keep it for the life of the process.
    if (spanAt.length > SPAN_KEEP) {
      spanAt = new Int32Array(1024);
      spanLen = new Int32Array(1024);
      spanHash = new Int32Array(1024);
    }
    clearKeys();
  }
}
