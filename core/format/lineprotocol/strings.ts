/**
 * Strings from bytes for the line protocol parser: a per-parse interning table so the names, keys
 * and tag values that repeat line after line are decoded once, and the rare unescaping path.
 */

/** A Buffer with Node's slice fast paths (present on every Buffer, absent from the typings). */
export type Bytes = Buffer & {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
};

import type { ByteCompare } from './series.ts';

/**
 * A direct-mapped cache from byte ranges of one input buffer to the strings they decode to.
 * A slot keeps the length and the first and last four bytes of its text (for up to 8 bytes, the
 * whole text) and where it was first seen; a lookup compares those, then the bytes of longer
 * texts, so a collision only costs a decode. Owned by one parse call: it holds offsets into that
 * call's buffer.
 */
export class StringTable {
  /** Hash of the text of the last get(), for callers that combine token hashes. */
  hash = 0;
  private readonly b: Bytes;
  private readonly dv: DataView;
  private readonly cmp: ByteCompare;
  private readonly mask: number;
  /** Per slot, side by side (one cache line): length, head, tail, start. */
  private readonly meta: Int32Array;
  private readonly strs: string[];

  constructor(b: Bytes, cmp: ByteCompare, slots: number) {
    this.b = b;
    this.dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    this.cmp = cmp;
    this.mask = slots - 1;
    this.meta = new Int32Array(slots * 4);
    this.strs = new Array<string>(slots).fill('');
  }

  /** The string of b[s, e), a non-empty text without escapes; `high` when a byte is >= 0x80. */
  get(s: number, e: number, high: boolean): string {
    const len = e - s;
    const b = this.b;
    let head: number;
    let tail = 0;
    if (len >= 4) {
      head = this.dv.getInt32(s, true);
      tail = this.dv.getInt32(e - 4, true);
    } else {
      head = b[s] | (len > 1 ? b[s + 1] << 8 : 0) | (len > 2 ? b[s + 2] << 16 : 0);
    }
    let h = head ^ Math.imul(tail ^ len, 0x9e3779b1);
    if (len > 8) h ^= Math.imul(this.dv.getInt32(s + ((len - 4) >> 1), true), 0x85ebca77);
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    h ^= h >>> 16;
    this.hash = h;
    const slot = h & this.mask;
    const meta = this.meta;
    const m = slot << 2;
    if (
      meta[m] === len &&
      meta[m + 1] === head &&
      meta[m + 2] === tail &&
      (len <= 8 || this.cmp.equal(meta[m + 3], s, len))
    ) {
      return this.strs[slot];
    }
    const str = high ? b.utf8Slice(s, e) : b.latin1Slice(s, e);
    meta[m] = len;
    meta[m + 1] = head;
    meta[m + 2] = tail;
    meta[m + 3] = s;
    this.strs[slot] = str;
    return str;
  }
}

/**
 * Table size for an input of n bytes: enough slots for a batch's distinct keys and values, or 0
 * (no table) for a few lines, where every string is new anyway.
 */
export function tableSlots(n: number): number {
  if (n < 1024) return 0;
  let slots = 64;
  while (slots < 4096 && slots * 24 < n) slots <<= 1;
  return slots;
}

const BACKSLASH = 92;

/**
 * Decodes b[s, e) dropping the backslash of every `\X` where X has `escapable[X]` set; any other
 * backslash is a literal backslash (InfluxDB 1.x: in a name or key, `\\` is two backslashes; in a
 * string field, the backslash is escapable). Escaped bytes are ASCII, so the segments in between
 * always split on UTF-8 character boundaries.
 */
export function unescape(b: Bytes, s: number, e: number, escapable: Uint8Array, high: boolean): string {
  let out = '';
  let seg = s;
  for (let i = s; i < e - 1; i++) {
    if (b[i] !== BACKSLASH) continue;
    const x = b[i + 1];
    if (escapable[x] === 0) continue;
    if (i > seg) out += high ? b.utf8Slice(seg, i) : b.latin1Slice(seg, i);
    out += String.fromCharCode(x);
    i++;
    seg = i + 1;
  }
  if (e > seg) out += high ? b.utf8Slice(seg, e) : b.latin1Slice(seg, e);
  return out;
}

/** A byte set as a 256-entry table. */
function byteSet(chars: string): Uint8Array {
  const t = new Uint8Array(256);
  for (let i = 0; i < chars.length; i++) t[chars.charCodeAt(i)] = 1;
  return t;
}

/** Escapable bytes per element, as InfluxDB 1.x reads them. */
export const MEASUREMENT_ESCAPES = byteSet(',= "');
export const KEY_ESCAPES = byteSet(',= ');
export const FIELD_KEY_ESCAPES = byteSet(',= "');
export const STRING_ESCAPES = byteSet('"\\');
