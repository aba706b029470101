/**
 * Number and timestamp parsing straight from bytes, without building strings on the common path.
 *
 * Floats with at most 15 significant digits and a decimal exponent within ±22 are computed as one
 * exact integer times or divided by an exact power of ten, which IEEE 754 rounds correctly (the
 * classic fast path); anything else goes through Number() on the decoded token.
 */
import type { Precision } from '../../model/metric/time.ts';

const MINUS = 45;
const PLUS = 43;
const DOT = 46;
const ZERO = 48;
const LOWER_E = 101;
const UPPER_E = 69;

/** Exact powers of ten (10^0 .. 10^22 are all exactly representable as doubles). */
const POW10 = [
  1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
  1e20, 1e21, 1e22,
];

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** Decodes a token known to be ASCII. */
function ascii(b: Uint8Array, s: number, e: number): string {
  return String.fromCharCode.apply(null, b.subarray(s, e) as unknown as number[]);
}

/**
 * A line protocol float in b[s, e): `[-] digits [. [digits]] [exponent]` or `[-] . digits [exponent]`.
 * Returns NaN when the token is not a float (the grammar has no NaN literal), ±Infinity when it
 * is beyond the double range.
 */
export function parseFloatBytes(b: Uint8Array, s: number, e: number): number {
  let i = s;
  const neg = b[i] === MINUS;
  if (neg) i++;
  let mant = 0;
  let sig = 0; // significant digits folded into mant
  let exp = 0;
  let digits = 0; // all mantissa digits seen, to reject "." and "-"
  let exact = true;
  for (; i < e; i++) {
    const d = b[i] - ZERO;
    if (d < 0 || d > 9) break;
    digits++;
    if (sig < 15) {
      mant = mant * 10 + d;
      if (mant !== 0) sig++;
    } else {
      exact = false;
      exp++;
    }
  }
  if (i < e && b[i] === DOT) {
    for (i++; i < e; i++) {
      const d = b[i] - ZERO;
      if (d < 0 || d > 9) break;
      digits++;
      if (sig < 15) {
        mant = mant * 10 + d;
        if (mant !== 0) sig++;
        exp--;
      } else if (d !== 0) {
        exact = false;
      }
    }
  }
  if (digits === 0) return NaN;
  if (i < e && (b[i] === LOWER_E || b[i] === UPPER_E)) {
    i++;
    let eneg = false;
    if (i < e && (b[i] === MINUS || b[i] === PLUS)) eneg = b[i++] === MINUS;
    const start = i;
    let ev = 0;
    for (; i < e; i++) {
      const d = b[i] - ZERO;
      if (d < 0 || d > 9) break;
      if (ev < 1e6) ev = ev * 10 + d;
    }
    if (i === start) return NaN;
    exp += eneg ? -ev : ev;
  }
  if (i !== e) return NaN;
  if (exact && exp >= -22 && exp <= 22) {
    const v = exp < 0 ? mant / POW10[-exp] : mant * POW10[exp];
    return neg ? -v : v;
  }
  return Number(ascii(b, s, e));
}

/**
 * A decimal integer `[-] digits` in b[s, e). Returns the value when it is a safe integer, NaN when
 * the token is malformed, Infinity when its magnitude is beyond 2^53 - 1 (use parseBigIntBytes).
 */
export function parseSafeIntBytes(b: Uint8Array, s: number, e: number): number {
  let i = s;
  const neg = b[i] === MINUS;
  if (neg) i++;
  if (i === e) return NaN;
  let v = 0;
  for (; i < e; i++) {
    const d = b[i] - ZERO;
    if (d < 0 || d > 9) return NaN;
    v = v * 10 + d;
  }
  if (v > Number.MAX_SAFE_INTEGER) return Infinity;
  return neg ? 0 - v : v;
}

/** A well-formed decimal integer in b[s, e) as bigint, or null when outside int64 (or uint64). */
export function parseBigIntBytes(b: Uint8Array, s: number, e: number, unsigned: boolean): bigint | null {
  const v = BigInt(ascii(b, s, e));
  if (unsigned) return v >= 0n && v <= UINT64_MAX ? v : null;
  return v >= INT64_MIN && v <= INT64_MAX ? v : null;
}

/** Result codes of parseTimeBytes. */
export const TIME_OK = 0;
export const TIME_SYNTAX = 1;
export const TIME_RANGE = 2;

/** Largest |ms| of an int64 nanosecond time, and the ns part of the extremes. */
const MAX_MS = 9223372036854;
const MAX_NS_POS = 775807;
const MAX_NS_NEG = 775808;

/** Where parseTimeBytes puts an exact time. */
export interface TimeOut {
  tMs: number;
  tNs: number;
}

/** How many trailing digits of a timestamp in this precision are below the millisecond. */
function subMsDigits(p: Precision): number {
  return p === 'ns' ? 6 : p === 'us' ? 3 : 0;
}

/**
 * A timestamp `[-] digits` in b[s, e), in a precision given as sub-millisecond digits (6 ns, 3 us,
 * 0 ms) or -3 for seconds, converted to exact (ms, ns-within-ms) in `out`. The result must fit a
 * signed 64-bit nanosecond count, as in InfluxDB. Returns TIME_OK, TIME_SYNTAX or TIME_RANGE.
 */
export function parseTimeBytes(b: Uint8Array, s: number, e: number, sub: number, out: TimeOut): number {
  let i = s;
  const neg = b[i] === MINUS;
  if (neg) i++;
  if (i === e) return TIME_SYNTAX;
  const loDigits = sub > 0 ? sub : 0;
  const loStart = e - i > loDigits ? e - loDigits : i;
  let hi = 0;
  for (; i < loStart; i++) {
    const d = b[i] - ZERO;
    if (d < 0 || d > 9) return TIME_SYNTAX;
    hi = hi * 10 + d;
  }
  let lo = 0;
  for (; i < e; i++) {
    const d = b[i] - ZERO;
    if (d < 0 || d > 9) return TIME_SYNTAX;
    lo = lo * 10 + d;
  }
  let ms: number;
  let ns: number;
  if (sub === 6) {
    ms = hi;
    ns = lo;
  } else if (sub === 3) {
    ms = hi;
    ns = lo * 1000;
  } else if (sub === 0) {
    ms = hi;
    ns = 0;
  } else {
    ms = hi * 1000;
    ns = 0;
  }
  if (ms > MAX_MS || (ms === MAX_MS && ns > (neg ? MAX_NS_NEG : MAX_NS_POS))) return TIME_RANGE;
  if (!neg) {
    out.tMs = ms;
    out.tNs = ns;
  } else if (ns === 0) {
    out.tMs = ms === 0 ? 0 : -ms;
    out.tNs = 0;
  } else {
    out.tMs = -ms - 1;
    out.tNs = 1_000_000 - ns;
  }
  return TIME_OK;
}

/** The sub-ms digit code of a precision for parseTimeBytes (s is -3). */
export function precisionCode(p: Precision): number {
  return p === 's' ? -3 : subMsDigits(p);
}
