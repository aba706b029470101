/**
 * Field values of line protocol from bytes: numbers (the common short forms parsed in one pass,
 * the rest through numbers.ts), booleans, and quoted strings.
 */
import { isUtf8 } from 'node:buffer';
import { parseBigIntBytes, parseFloatBytes, parseSafeIntBytes } from './numbers.ts';
import { STRING_ESCAPES, unescape } from './strings.ts';
import type { Bytes } from './strings.ts';

const NL = 10;
const CR = 13;
const SP = 32;
const QUOTE = 34;
const COMMA = 44;
const MINUS = 45;
const DOT = 46;
const BACKSLASH = 92;
const LOWER_I = 105;
const LOWER_U = 117;

/** Bytes that end an unquoted field value. */
const END_VALUE = new Uint8Array(256);
for (const c of [COMMA, SP, NL, CR]) END_VALUE[c] = 1;

const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/** Kinds of a parsed value (what a ValueOut holds). */
export const V_FLOAT = 0;
export const V_INT = 1;
export const V_UINT = 2;
export const V_BOOL = 3;
export const V_STRING = 4;
/** Failure kinds; `err` says why. */
export const V_ERROR = -1;

/** Where a value parse leaves its result. */
export interface ValueOut {
  kind: number;
  num: number | bigint;
  bool: boolean;
  str: string;
  /** Index just after the value. */
  end: number;
  /** Newlines inside a string value, for line numbering. */
  nl: number;
  err: string;
}

/** Parses the unquoted value starting at s into out; returns out.kind. */
export function scalarValue(b: Bytes, n: number, s: number, out: ValueOut): number {
  let i = s;
  let c = b[i];
  const neg = c === MINUS;
  if (neg) c = b[++i];
  if (c >= 48 && c <= 57) {
    // Fast path: up to 15 digits, an optional fraction, then i, u or the end of the value.
    let mant = 0;
    let digits = 0;
    do {
      mant = mant * 10 + (c - 48);
      digits++;
      c = ++i < n ? b[i] : -1;
    } while (c >= 48 && c <= 57);
    let frac = 0;
    if (c === DOT) {
      c = ++i < n ? b[i] : -1;
      while (c >= 48 && c <= 57) {
        mant = mant * 10 + (c - 48);
        frac++;
        c = ++i < n ? b[i] : -1;
      }
    }
    if (digits + frac <= 15) {
      if (c === -1 || END_VALUE[c] === 1) {
        const v = frac === 0 ? mant : mant / POW10[frac];
        out.num = neg ? -v : v;
        out.end = i;
        return (out.kind = V_FLOAT);
      }
      if ((c === LOWER_I || (c === LOWER_U && !neg)) && frac === 0 && i === s + digits + (neg ? 1 : 0)) {
        const after = i + 1 < n ? b[i + 1] : -1;
        if (after === -1 || END_VALUE[after] === 1) {
          out.num = neg ? 0 - mant : mant;
          out.end = i + 1;
          return (out.kind = c === LOWER_I ? V_INT : V_UINT);
        }
      }
    }
  }
  let e = s;
  while (e < n && END_VALUE[b[e]] === 0) e++;
  out.end = e;
  return slowScalar(b, s, e, out);
}

/** Any unquoted value in b[s, e): exponents, long numbers, big integers, booleans, or an error. */
function slowScalar(b: Bytes, s: number, e: number, out: ValueOut): number {
  const c = b[s];
  if ((c >= 48 && c <= 57) || c === MINUS || c === DOT) {
    const last = b[e - 1];
    if (last === LOWER_I || last === LOWER_U) {
      const unsigned = last === LOWER_U;
      if (unsigned && c === MINUS) return fail(out, 'negative unsigned integer', b, s, e);
      const v = parseSafeIntBytes(b, s, e - 1);
      if (v !== v) return fail(out, unsigned ? 'invalid unsigned integer' : 'invalid integer', b, s, e);
      if (v === Infinity) {
        const big = parseBigIntBytes(b, s, e - 1, unsigned);
        if (big === null) return fail(out, unsigned ? 'uint64 out of range' : 'int64 out of range', b, s, e);
        out.num = big;
      } else {
        out.num = v;
      }
      return (out.kind = unsigned ? V_UINT : V_INT);
    }
    const v = parseFloatBytes(b, s, e);
    if (v !== v) return fail(out, 'invalid number', b, s, e);
    if (v === Infinity || v === -Infinity) return fail(out, 'float out of range', b, s, e);
    out.num = v;
    return (out.kind = V_FLOAT);
  }
  const bool = parseBool(b, s, e);
  if (bool === null) {
    out.err = 'expected number, string or boolean';
    return (out.kind = V_ERROR);
  }
  out.bool = bool;
  return (out.kind = V_BOOL);
}

function fail(out: ValueOut, what: string, b: Bytes, s: number, e: number): number {
  out.err = `${what} ${JSON.stringify(b.toString('utf8', s, Math.min(e, s + 40)))}`;
  return (out.kind = V_ERROR);
}

/** t T true True TRUE f F false False FALSE, or null. */
function parseBool(b: Uint8Array, s: number, e: number): boolean | null {
  const len = e - s;
  const c = b[s];
  if (len === 1) return c === 116 || c === 84 ? true : c === 102 || c === 70 ? false : null;
  if (len === 4 && (c === 116 || c === 84)) {
    const w = String.fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3]);
    return w === 'true' || w === 'True' || w === 'TRUE' ? true : null;
  }
  if (len === 5 && (c === 102 || c === 70)) {
    const w = String.fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4]);
    return w === 'false' || w === 'False' || w === 'FALSE' ? false : null;
  }
  return null;
}

/**
 * The quoted string opening at q into out.str; `utf8` when the whole input is known valid UTF-8.
 * Raw newlines are part of the string (counted in out.nl).
 */
export function stringValue(b: Bytes, n: number, q: number, utf8: boolean, out: ValueOut): number {
  let i = q + 1;
  let esc = false;
  let high = false;
  for (; i < n; i++) {
    const c = b[i];
    if (c === QUOTE) break;
    if (c === BACKSLASH) {
      esc = true;
      if (++i < n && b[i] === NL) out.nl++;
    } else if (c >= 0x80) {
      high = true;
    } else if (c === NL) {
      out.nl++;
    }
  }
  if (i >= n) {
    out.err = 'unterminated string';
    return (out.kind = V_ERROR);
  }
  const s = q + 1;
  if (high && !utf8 && !isUtf8(b.subarray(s, i))) {
    out.err = 'invalid UTF-8 in string';
    return (out.kind = V_ERROR);
  }
  out.str = esc ? unescape(b, s, i, STRING_ESCAPES, high) : high ? b.utf8Slice(s, i) : b.latin1Slice(s, i);
  out.end = i + 1;
  return (out.kind = V_STRING);
}
