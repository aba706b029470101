/**
 * Encoder of the binary batch format (layout in wire.ts). One reusable scratch buffer and string
 * table per process: encoding is synchronous, so a batch never interleaves with another.
 */
import { ErrorCode, VivaError } from '../../model/errors/index.ts';
import type { Metric } from '../../model/metric/metric.ts';
import {
  DELTA_LIMIT,
  HAS_TYPES,
  isVarTime,
  K_BIGDEC,
  K_F64,
  K_FALSE,
  K_I64,
  K_STRING,
  K_TRUE,
  K_U64,
  K_VARINT,
  K_NEGVAR,
  MARK_INT,
  MARK_SHIFT,
  MARK_UINT,
  MAX_BIGDEC_CHARS,
  NS_F64,
  REF_BASE,
  REF_END,
  REF_NEW,
  TIME_F64,
  VARINT_LIMIT,
  VERSION,
} from './wire.ts';

const INITIAL_SCRATCH = 1 << 16;
/** A scratch buffer grown past this is dropped after the batch rather than kept for ever. */
const KEEP_SCRATCH = 16 << 20;
const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;
const U64_MAX = 2n ** 64n - 1n;

let buf = Buffer.allocUnsafe(INITIAL_SCRATCH);
let pos = 0;
const table = new Map<string, number>();

function ensure(n: number): void {
  if (pos + n <= buf.length) return;
  const next = Buffer.allocUnsafe(Math.max(buf.length * 2, pos + n));
  buf.copy(next, 0, 0, pos);
  buf = next;
}

/** Unsigned varint of an integer in [0, 2^53). */
function varint(v: number): void {
  ensure(8);
  while (v >= 0x80000000) {
    buf[pos++] = (v % 128) | 128;
    v = Math.floor(v / 128);
  }
  while (v > 127) {
    buf[pos++] = (v & 127) | 128;
    v >>>= 7;
  }
  buf[pos++] = v;
}

function f64(v: number): void {
  ensure(8);
  buf.writeDoubleLE(v, pos);
  pos += 8;
}

function str(s: string): void {
  const len = s.length;
  if (len < 43) {
    // At most 3 bytes per UTF-16 unit, so the byte length fits the one-byte varint reserved here.
    ensure(len * 3 + 1);
    const at = pos + 1;
    let i = 0;
    for (; i < len; i++) {
      const c = s.charCodeAt(i);
      if (c > 127) break;
      buf[at + i] = c;
    }
    const n = i === len ? len : buf.write(s, at, 'utf8');
    buf[pos] = n;
    pos = at + n;
    return;
  }
  const n = Buffer.byteLength(s, 'utf8');
  varint(n);
  ensure(n);
  pos += buf.write(s, pos, 'utf8');
}

function ref(s: string): void {
  const id = table.get(s);
  if (id !== undefined) {
    varint(id + REF_BASE);
    return;
  }
  table.set(s, table.size);
  ensure(1);
  buf[pos++] = REF_NEW;
  str(s);
}

function bigField(v: bigint, mark: number): void {
  ensure(9);
  if (mark === MARK_UINT && v >= 0n && v <= U64_MAX) {
    buf[pos++] = K_U64 | (mark << MARK_SHIFT);
    buf.writeBigUInt64LE(v, pos);
    pos += 8;
  } else if (v >= I64_MIN && v <= I64_MAX) {
    buf[pos++] = K_I64 | (mark << MARK_SHIFT);
    buf.writeBigInt64LE(v, pos);
    pos += 8;
  } else {
    const digits = v.toString();
    if (digits.length > MAX_BIGDEC_CHARS) {
      throw new VivaError(ErrorCode.PARSE, `binary encode: bigint field of ${digits.length} digits`);
    }
    buf[pos++] = K_BIGDEC | (mark << MARK_SHIFT);
    str(digits);
  }
}

function numberField(v: number, mark: number): void {
  ensure(1);
  const m = mark << MARK_SHIFT;
  if (Number.isInteger(v)) {
    if (v > 0 || (v === 0 && 1 / v > 0)) {
      if (v < VARINT_LIMIT) {
        buf[pos++] = K_VARINT | m;
        varint(v);
        return;
      }
    } else if (v < 0 && v > -VARINT_LIMIT) {
      buf[pos++] = K_NEGVAR | m;
      varint(-v - 1);
      return;
    }
  }
  buf[pos++] = K_F64 | m;
  f64(v);
}

function fields(m: Metric, index: number): void {
  const types = m.fieldTypes;
  const fs = m.fields;
  let count = 0;
  for (const k in fs) {
    const v = fs[k];
    if (v !== undefined) count++;
    // Compared by value: a lookup such as types['valueOf'] finds Object.prototype members.
    const t = types === null ? undefined : types[k];
    const mark = t === 'int' ? MARK_INT : t === 'uint' ? MARK_UINT : 0;
    // Only numbers carry a marker (a stale one on a string is dropped), and a bigint always does:
    // unmarked it is an int (Metric.fieldType), and the decoder rejects anything else.
    switch (typeof v) {
      case 'number':
        ref(k);
        numberField(v, mark);
        break;
      case 'string':
        ref(k);
        ensure(1);
        buf[pos++] = K_STRING;
        str(v);
        break;
      case 'boolean':
        ref(k);
        ensure(1);
        buf[pos++] = v ? K_TRUE : K_FALSE;
        break;
      case 'bigint':
        ref(k);
        bigField(v, mark === 0 ? MARK_INT : mark);
        break;
      default:
      // An undefined value is an absent field (Metric.fieldType agrees).
    }
  }
  // No format carries a metric without fields, and the decoder rejects one: fail here, not there.
  if (count === 0) throw new VivaError(ErrorCode.PARSE, `binary encode: metric ${index} has no fields`);
  ensure(1);
  buf[pos++] = REF_END;
}

/**
 * Encodes a batch of metrics; decodeBatch returns equal metrics (an unmarked bigint field comes
 * back marked `int`, as Metric.fieldType reports it). Throws a VivaError (VIVA_ERR_PARSE) for a
 * metric without a name or fields (see encodable) or a bigint beyond MAX_BIGDEC_CHARS digits.
 */
export function encodeBatch(metrics: readonly Metric[]): Buffer {
  pos = 0;
  table.clear();
  ensure(16);
  buf[pos++] = VERSION;
  varint(metrics.length);
  let prevMs = 0;
  for (let i = 0; i < metrics.length; i++) {
    const m = metrics[i];
    const t = m.timeMs;
    const ns = m.timeNs;
    const d = t - prevMs;
    const safe = isVarTime(t);
    const varTime = safe && d < DELTA_LIMIT && d > -DELTA_LIMIT;
    const varNs = Number.isInteger(ns) && ns >= 0 && ns < VARINT_LIMIT && 1 / ns > 0;
    ensure(1);
    buf[pos++] = (varTime ? 0 : TIME_F64) | (varNs ? 0 : NS_F64) | (m.fieldTypes === null ? 0 : HAS_TYPES);
    if (m.name === '') throw new VivaError(ErrorCode.PARSE, `binary encode: metric ${i} has no name`);
    ref(m.name);
    if (varTime) varint(d >= 0 ? 2 * d : -2 * d - 1);
    else f64(t);
    if (safe) prevMs = t;
    if (varNs) varint(ns);
    else f64(ns);
    const tags = m.tags;
    for (const k in tags) {
      ref(k);
      ref(tags[k]);
    }
    ensure(1);
    buf[pos++] = REF_END;
    fields(m, i);
  }
  const out = Buffer.allocUnsafe(pos);
  buf.copy(out, 0, 0, pos);
  if (buf.length > KEEP_SCRATCH) buf = Buffer.allocUnsafe(INITIAL_SCRATCH);
  if (table.size > 4096) table.clear();
  return out;
}

/** True when encodeBatch can carry a metric: it has a name and a field (as line protocol needs). */
export function encodable(m: Metric): boolean {
  if (m.name === '') return false;
  for (const k in m.fields) if (m.fields[k] !== undefined) return true;
  return false;
}
