/**
 * Line protocol escaping on strings, the same rules as ByteWriter (see writer.ts) which applies
 * them byte by byte on ASCII text and hands non-ASCII text here.
 */

const BACKSLASH = 92;
const NL = 10;

const MEASUREMENT = 1;
const KEY = 2;
/** Per UTF-16 code unit below 128: which elements treat it as special. */
const SPECIAL = new Uint8Array(128);
SPECIAL[44] = MEASUREMENT | KEY; // ,
SPECIAL[32] = MEASUREMENT | KEY; // space
SPECIAL[61] = KEY; // =
const NEEDS_WORK = new Uint8Array(128);
NEEDS_WORK[44] = MEASUREMENT | KEY;
NEEDS_WORK[32] = MEASUREMENT | KEY;
NEEDS_WORK[61] = KEY;
NEEDS_WORK[BACKSLASH] = MEASUREMENT | KEY;
NEEDS_WORK[NL] = MEASUREMENT | KEY;

function escapeWith(s: string, kind: number): string {
  let i = 0;
  const n = s.length;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 128 && (NEEDS_WORK[c] & kind) !== 0) break;
  }
  if (i === n) return s;
  let out = s.slice(0, i);
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === BACKSLASH) {
      const next = i + 1 < n ? s.charCodeAt(i + 1) : -1;
      const escapes = next === -1 || next === BACKSLASH || (next < 128 && (SPECIAL[next] & kind) !== 0);
      out += escapes ? '\\\\' : '\\';
    } else if (c === NL) {
      out += '\\n';
    } else if (c < 128 && (SPECIAL[c] & kind) !== 0) {
      out += '\\' + s[i];
    } else {
      out += s[i];
    }
  }
  return out;
}

/** A measurement name as line protocol: `,` and space escaped. */
export function escapeMeasurement(s: string): string {
  return escapeWith(s, MEASUREMENT);
}

/** A tag key, tag value or field key as line protocol: `,`, `=` and space escaped. */
export function escapeKey(s: string): string {
  return escapeWith(s, KEY);
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
