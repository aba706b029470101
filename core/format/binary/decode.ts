/**
 * Decoder of the binary batch format (layout in wire.ts). Every read is bounds-checked and every
 * loop consumes input, so garbage ends in a VivaError, never in a crash or a hang.
 */
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
  return varintSlow();
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
