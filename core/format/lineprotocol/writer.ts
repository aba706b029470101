/**
 * Writes line protocol text straight into a growing Buffer: escaped names and keys, quoted
 * strings, integer and float digits, exact timestamps, with no intermediate strings for the
 * common ASCII case. One writer per serialize call.
 *
 * Escaping (the inverse of the parser, InfluxDB 1.x's reading; see escape.ts): a special byte gets a
 * backslash; backslashes are written as they are except before an escapable byte or at the end of
 * the element, so `C:\Program Files` comes out as InfluxDB and Telegraf expect. Names, keys and tag
 * values cannot carry a raw newline: it becomes the two characters `\n` (as Telegraf writes it). String field values escape `"` and `\`, and keep raw newlines (the parser takes them).
 */

import { escapeElement, quoteString, SPECIAL } from './escape.ts';

const NL = 10;
const QUOTE = 34;
const BACKSLASH = 92;

export { FIELD, KEY, MEASUREMENT } from './escape.ts';

const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];

/** The output of one serialize call: a Buffer that grows by doubling. */
export class ByteWriter {
  buf: Buffer;
  pos = 0;

  constructor(capacity: number) {
    this.buf = Buffer.allocUnsafe(Math.max(capacity, 256));
  }

  /** Makes room for `more` bytes. */
  reserve(more: number): void {
    if (this.pos + more <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + more));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** The bytes written so far. */
  bytes(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  /** One byte. */
  byte(c: number): void {
    this.reserve(1);
    this.buf[this.pos++] = c;
  }

  /** An ASCII string known to need no escaping (literals, digits). */
  ascii(s: string): void {
    this.reserve(s.length);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < s.length; i++) buf[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  /** A name, key or tag value, escaped for element `kind` (MEASUREMENT, KEY or FIELD). */
  escaped(s: string, kind: number): void {
    const n = s.length;
    this.reserve(n * 3);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 128 || c === BACKSLASH) {
        this.pos = p;
        this.escapedSlow(s, i, kind);
        return;
      }
      if (c === NL) {
        buf[p++] = BACKSLASH;
        buf[p++] = 110; // n
      } else {
        if ((SPECIAL[c] & kind) !== 0) buf[p++] = BACKSLASH;
        buf[p++] = c;
      }
    }
    this.pos = p;
  }

  /** The rest of s from `from`, which holds non-ASCII text: escaped as a string, then encoded. */
  private escapedSlow(s: string, from: number, kind: number): void {
    const rest = escapeElement(s.slice(from), kind);
    this.utf8(rest, 0, rest.length);
  }

  private utf8(s: string, from: number, to: number): void {
    if (to <= from) return;
    const part = s.slice(from, to);
    this.reserve(part.length * 3);
    this.pos += this.buf.write(part, this.pos, 'utf8');
  }

  /** A string field value in double quotes. */
  quoted(s: string): void {
    const n = s.length;
    this.reserve(n * 3 + 2);
    const buf = this.buf;
    let p = this.pos;
    buf[p++] = QUOTE;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 128) {
        this.pos = p;
        this.quotedSlow(s, i);
        return;
      }
      if (c === QUOTE || c === BACKSLASH) buf[p++] = BACKSLASH;
      buf[p++] = c;
    }
    buf[p++] = QUOTE;
    this.pos = p;
  }

  private quotedSlow(s: string, from: number): void {
    const rest = quoteString(s.slice(from));
    this.utf8(rest, 1, rest.length);
  }

  /** A non-negative safe integer's digits. */
  digits(v: number): void {
    this.reserve(16);
    const buf = this.buf;
    if (v < 10) {
      buf[this.pos++] = 48 + v;
      return;
    }
    let len = 1;
    while (len < 16 && v >= POW10_16[len]) len++;
    let p = this.pos + len;
    this.pos = p;
    if (v > 0x7fffffff) {
      // Split so each half fits int32 arithmetic.
      const hi = Math.floor(v / 1e8);
      let lo = v - hi * 1e8;
      for (let k = 0; k < 8; k++) {
        const q = (lo / 10) | 0;
        buf[--p] = 48 + lo - q * 10;
        lo = q;
      }
      v = hi;
    }
    let x = v | 0;
    while (x >= 10) {
      const q = (x / 10) | 0;
      buf[--p] = 48 + x - q * 10;
      x = q;
    }
    buf[p - 1] = 48 + x;
  }

  /** Exactly six digits of 0 <= v < 1e6 (the nanoseconds within a millisecond). */
  pad6(v: number): void {
    this.reserve(6);
    const buf = this.buf;
    let x = v | 0;
    const p = this.pos;
    for (let i = 5; i >= 0; i--) {
      const q = (x / 10) | 0;
      buf[p + i] = 48 + x - q * 10;
      x = q;
    }
    this.pos = p + 6;
  }

  /** A safe integer, signed. */
  integer(v: number): void {
    if (v < 0) {
      this.byte(45);
      this.digits(-v);
    } else {
      this.digits(v);
    }
  }

  /**
   * A finite double as text that reads back as the same double. Few decimals (the usual metric)
   * take a fixed-point path: the smallest k with round(v * 10^k) / 10^k === v gives exact digits,
   * as a reader computes that same correctly rounded quotient. Anything else uses String(), the
   * shortest round-trip form.
   */
  float(v: number): void {
    if (v === 0) {
      this.ascii(1 / v < 0 ? '-0' : '0');
      return;
    }
    const a = v < 0 ? -v : v;
    if (a >= 1e-6 && a < 1e15) {
      for (let k = 0; k < POW10.length; k++) {
        const scale = POW10[k];
        const p = a * scale;
        const m = p < 0x7fffffff ? (p + 0.5) | 0 : Math.round(p);
        // Far from an integer: not this k (skips the division for the usual short decimals).
        if (p - m > p * 1e-14 || m - p > p * 1e-14 || m / scale !== a) continue;
        if (m > Number.MAX_SAFE_INTEGER) break;
        if (v < 0) this.byte(45);
        this.fixed(m, k);
        return;
      }
    }
    this.ascii(String(v));
  }

  /** m / 10^k in fixed point: integer digits, then k decimals. */
  private fixed(m: number, k: number): void {
    if (k === 0) {
      this.digits(m);
      return;
    }
    const scale = POW10[k];
    let whole = Math.floor(m / scale);
    let frac = m - whole * scale;
    if (frac < 0) {
      whole--;
      frac += scale;
    } else if (frac >= scale) {
      whole++;
      frac -= scale;
    }
    this.digits(whole);
    this.reserve(k + 1);
    const buf = this.buf;
    buf[this.pos++] = 46; // .
    let p = this.pos + k;
    this.pos = p;
    let x = frac;
    for (let i = 0; i < k; i++) {
      const q = (x / 10) | 0;
      buf[--p] = 48 + x - q * 10;
      x = q;
    }
  }
}

const POW10_16 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16];
