/**
 * Text-format column values to field values by type OID: integers stay integers (int8 beyond
 * 2^53 as bigint), floats and numeric become floats, bool a boolean, timestamps a time, the
 * rest strings.
 */
import type { Metric } from '../../../core/model/metric/metric.ts';

const BOOL = 16;
const INT8 = 20;
const INT2 = 21;
const INT4 = 23;
const OID = 26;
const XID = 28;
const FLOAT4 = 700;
const FLOAT8 = 701;
const NUMERIC = 1700;
const TIMESTAMP = 1114;
const TIMESTAMPTZ = 1184;
const DATE = 1082;

/** Sets one column value as a field of `m`; false when the text does not read as its type. */
export function setColumnField(m: Metric, key: string, text: string, oid: number): boolean {
  switch (oid) {
    case BOOL:
      m.setField(key, text === 't');
      return true;
    case INT2:
    case INT4:
    case INT8: {
      const n = Number(text);
      if (!Number.isInteger(n)) return false;
      m.setInt(key, Number.isSafeInteger(n) ? n : BigInt(text));
      return true;
    }
    case OID:
    case XID: {
      const n = Number(text);
      if (!Number.isInteger(n)) return false;
      m.setInt(key, n, 'uint');
      return true;
    }
    case FLOAT4:
    case FLOAT8:
    case NUMERIC: {
      const n = Number(text);
      if (Number.isNaN(n) && text !== 'NaN') return false;
      m.setField(key, n);
      return true;
    }
    default:
      m.setField(key, text);
      return true;
  }
}

const TS =
  /^(\d{4,})-(\d\d)-(\d\d)(?:[ T](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?)?(?:([+-])(\d\d)(?::?(\d\d))?(?::?(\d\d))?)?$/;

/** Reads a time column: timestamp(tz)/date text (UTC unless an offset is given) or epoch seconds. */
export function columnTime(text: string, oid: number): [number, number] | undefined {
  if (oid === TIMESTAMP || oid === TIMESTAMPTZ || oid === DATE) {
    const m = TS.exec(text);
    if (m === null) return undefined;
    let ms = Date.UTC(
      Number(m[1]),
      Number(m[2]) - 1,
      Number(m[3]),
      Number(m[4] ?? 0),
      Number(m[5] ?? 0),
      Number(m[6] ?? 0),
    );
    if (m[8] !== undefined) {
      const off = (Number(m[9]) * 3600 + Number(m[10] ?? 0) * 60 + Number(m[11] ?? 0)) * 1000;
      ms -= m[8] === '+' ? off : -off;
    }
    const frac = (m[7] ?? '').padEnd(9, '0');
    return [ms + Number(frac.slice(0, 3)), Number(frac.slice(3))];
  }
  const secs = Number(text);
  if (!Number.isFinite(secs)) return undefined;
  const ms = secs * 1000;
  const whole = Math.floor(ms);
  return [whole, Math.round((ms - whole) * 1e6) % 1_000_000];
}
