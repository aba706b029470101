/**
 * Value conversions with Telegraf's rules: integers from decimal, 0x/0o/0b or float strings
 * (truncated), booleans from Go's ParseBool spellings; undefined when a value cannot convert.
 * Integers beyond 2^53 come out as bigint so they stay exact.
 */
import type { FieldValue, IntType } from '../../../core/model/metric/metric.ts';

const INT_MIN = -(2n ** 63n);
const INT_MAX = 2n ** 63n - 1n;
const UINT_MAX = 2n ** 64n - 1n;
// Up to 15 digits is always a safe integer: no BigInt needed.
const SHORT_DECIMAL = /^[+-]?\d{1,15}$/;
const INTEGER = /^[+-]?(?:\d+|0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+)$/;
const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

function inRange(v: bigint, type: IntType): number | bigint | undefined {
  if (type === 'int' ? v < INT_MIN || v > INT_MAX : v < 0n || v > UINT_MAX) return undefined;
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function fromString(s: string, type: IntType): number | bigint | undefined {
  if (SHORT_DECIMAL.test(s)) {
    const n = Number(s) || 0; // "-0" is 0
    return type === 'uint' && n < 0 ? undefined : n;
  }
  if (INTEGER.test(s)) {
    const neg = s.startsWith('-');
    const digits = s.replace(/^[+-]/, '');
    const v = BigInt(digits);
    return inRange(neg ? -v : v, type);
  }
  const f = toFloat(s);
  return f === undefined ? undefined : toInteger(f, type);
}

/** An integer (`int`) or unsigned (`uint`) value, or undefined. */
export function toInteger(v: FieldValue, type: IntType): number | bigint | undefined {
  switch (typeof v) {
    case 'number': {
      if (!Number.isFinite(v)) return undefined;
      const t = Math.trunc(v);
      if (Number.isSafeInteger(t)) return type === 'uint' && t < 0 ? undefined : t;
      return inRange(BigInt(t), type);
    }
    case 'bigint':
      return inRange(v, type);
    case 'boolean':
      return v ? 1 : 0;
    default:
      return fromString(v, type);
  }
}

/** A finite float, or undefined. */
export function toFloat(v: FieldValue): number | undefined {
  switch (typeof v) {
    case 'number':
      return v;
    case 'bigint':
      return Number(v);
    case 'boolean':
      return v ? 1 : 0;
    default: {
      if (v.trim() === '') return undefined;
      const f = Number(v);
      return Number.isFinite(f) ? f : undefined;
    }
  }
}

/** A boolean, or undefined. */
export function toBoolean(v: FieldValue): boolean | undefined {
  switch (typeof v) {
    case 'boolean':
      return v;
    case 'number':
      return v !== 0;
    case 'bigint':
      return v !== 0n;
    default:
      return TRUE.has(v) ? true : FALSE.has(v) ? false : undefined;
  }
}

/** The string form of any value. */
export function toText(v: FieldValue): string {
  return typeof v === 'string' ? v : String(v);
}
