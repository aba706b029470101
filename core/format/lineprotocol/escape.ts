/**
 * Line protocol escaping on strings, with InfluxDB 1.x's reading of backslashes (the parser in
 * reader.ts reads the same way). ByteWriter (writer.ts) writes ASCII text without backslashes byte
 * by byte and hands anything else here.
 *
 * How InfluxDB 1.x reads a name, key or tag value: scanning for the end of the element, a backslash
 * always takes the next byte with it; then `\X` becomes X only for X in the element's escapable set
 * (tag keys and values: `,` `=` space; measurement and field keys also `"`), and every other
 * backslash, `\\` included, is a literal backslash. So a run of k backslashes before an escapable X
 * is written as k + 1 backslashes and X; before a byte that would end the element (`,`, space, and
 * `=` in keys) the run must also leave the last backslash to that byte, which a run of odd length
 * cannot: it gains one backslash (InfluxDB 1.x cannot represent it). At the end of an element the
 * same holds (an odd run gains one). A raw newline becomes the two characters `\n`.
 */

const BACKSLASH = 92;
const NL = 10;

export const MEASUREMENT = 1;
export const KEY = 2;
export const FIELD = 4;
/** Per code unit below 128: for which elements it ends the element unless escaped. */
export const SPECIAL = new Uint8Array(128);
SPECIAL[44] = MEASUREMENT | KEY | FIELD; // ,
SPECIAL[32] = MEASUREMENT | KEY | FIELD; // space
SPECIAL[61] = KEY | FIELD; // =
/** Per code unit below 128: for which elements `\X` reads as X. */
const ESCAPABLE = new Uint8Array(128);
ESCAPABLE[44] = MEASUREMENT | KEY | FIELD;
ESCAPABLE[32] = MEASUREMENT | KEY | FIELD;
ESCAPABLE[61] = MEASUREMENT | KEY | FIELD;
ESCAPABLE[34] = MEASUREMENT | FIELD; // "

/** Escapes `s` for element `kind` (MEASUREMENT, KEY for tag keys and values, FIELD for field keys). */
export function escapeElement(s: string, kind: number): string {
  let i = 0;
  const n = s.length;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === BACKSLASH || c === NL || (c < 128 && (SPECIAL[c] & kind) !== 0)) break;
  }
  if (i === n) return s;
  let out = s.slice(0, i);
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c === BACKSLASH) {
      let k = 0;
      while (i < n && s.charCodeAt(i) === BACKSLASH) {
        k++;
        i++;
      }
      const x = i < n ? s.charCodeAt(i) : -1;
      let m = k;
      if (x === -1) m = k + (k & 1);
      else if (x < 128 && (SPECIAL[x] & kind) !== 0) m = k + (k & 1);
      else if (x < 128 && (ESCAPABLE[x] & kind) !== 0) m = k + 1;
      out += '\\'.repeat(m);
      continue;
    }
    if (c === NL) out += '\\n';
    else if (c < 128 && (SPECIAL[c] & kind) !== 0) out += '\\' + s[i];
    else out += s[i];
    i++;
  }
  return out;
}

/** A measurement name as line protocol. */
export function escapeMeasurement(s: string): string {
  return escapeElement(s, MEASUREMENT);
}

/** A tag key or tag value as line protocol. */
export function escapeKey(s: string): string {
  return escapeElement(s, KEY);
}

/** A field key as line protocol. */
export function escapeFieldKey(s: string): string {
  return escapeElement(s, FIELD);
}

/** A string field value, quoted: `"` and `\` escaped; newlines stay raw (the parser allows them). */
export function quoteString(s: string): string {
  let i = 0;
  const n = s.length;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 34 || c === BACKSLASH) break;
  }
  if (i === n) return '"' + s + '"';
  let out = '"' + s.slice(0, i);
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    out += c === 34 ? '\\"' : c === BACKSLASH ? '\\\\' : s[i];
  }
  return out + '"';
}
