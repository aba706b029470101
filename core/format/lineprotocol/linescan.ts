/**
 * Where a line protocol line ends. A newline ends a line except inside a quoted string field
 * value, which may hold raw newlines; a quote only opens a string right after a field's `=`.
 * The parser uses this to skip a bad line whole; core/lib/listen/splitter.ts uses it to cut a stream into
 * complete lines. Both must agree, so both use this one state machine.
 */

const NL = 10;
const SP = 32;
const QUOTE = 34;
const HASH = 35;
const COMMA = 44;
const EQ = 61;
const BACKSLASH = 92;

/** Scanner states. */
export const S_START = 0; // line start, skipping spaces
const S_KEY = 1; // measurement and tags
const S_KEY_ESC = 2;
const S_FSEP = 3; // spaces before the fields
const S_FKEY = 4;
const S_FKEY_ESC = 5;
const S_FVAL0 = 6; // first byte of a field value
const S_FVAL = 7;
const S_STR = 8;
const S_STR_ESC = 9;
const S_TAIL = 10; // timestamp and anything after it
const S_COMMENT = 11;

/** True when the scanner state is inside a quoted string (a newline does not end the line). */
export function inString(state: number): boolean {
  return state === S_STR || state === S_STR_ESC;
}

/**
 * Runs the state machine over b[from, to) starting in `state`. Returns the index just after the
 * first line-ending newline when `first` is set, otherwise after the last one; -1 when none.
 * The state at `to` is left in `scan.state`.
 */
export function scanLines(
  b: Uint8Array,
  from: number,
  to: number,
  scan: { state: number },
  first: boolean,
): number {
  let st = scan.state;
  let last = -1;
  for (let i = from; i < to; i++) {
    const c = b[i];
    switch (st) {
      case S_START:
        if (c === SP) continue;
        if (c === NL) break;
        st = c === HASH ? S_COMMENT : c === BACKSLASH ? S_KEY_ESC : S_KEY;
        continue;
      case S_KEY:
        if (c === BACKSLASH) st = S_KEY_ESC;
        else if (c === SP) st = S_FSEP;
        else if (c === NL) break;
        continue;
      case S_KEY_ESC:
        if (c === NL) break;
        st = S_KEY;
        continue;
      case S_FSEP:
        if (c === SP) continue;
        if (c === NL) break;
        st = c === BACKSLASH ? S_FKEY_ESC : c === EQ ? S_FVAL0 : S_FKEY;
        continue;
      case S_FKEY:
        if (c === BACKSLASH) st = S_FKEY_ESC;
        else if (c === EQ) st = S_FVAL0;
        else if (c === SP) st = S_TAIL;
        else if (c === NL) break;
        continue;
      case S_FKEY_ESC:
        if (c === NL) break;
        st = S_FKEY;
        continue;
      case S_FVAL0:
        if (c === QUOTE) st = S_STR;
        else if (c === COMMA) st = S_FKEY;
        else if (c === SP) st = S_TAIL;
        else if (c === NL) break;
        else st = S_FVAL;
        continue;
      case S_FVAL:
        if (c === COMMA) st = S_FKEY;
        else if (c === SP) st = S_TAIL;
        else if (c === NL) break;
        continue;
      case S_STR:
        if (c === BACKSLASH) st = S_STR_ESC;
        else if (c === QUOTE) st = S_FVAL;
        continue;
      case S_STR_ESC:
        st = S_STR;
        continue;
      default: // S_TAIL, S_COMMENT
        if (c === NL) break;
        continue;
    }
    // Reached only on a line-ending newline.
    st = S_START;
    last = i + 1;
    if (first) {
      scan.state = st;
      return last;
    }
  }
  scan.state = st;
  return last;
}

/**
 * The end of the line starting at `start` (index after its newline, or `n`). A line whose quoted
 * string never closes ends at its first newline instead, so one stray quote costs one line.
 */
export function lineEnd(b: Uint8Array, start: number, n: number): number {
  const scan = { state: S_START };
  const end = scanLines(b, start, n, scan, true);
  if (end !== -1) return end;
  if (!inString(scan.state)) return n;
  const nl = b.indexOf(NL, start);
  return nl === -1 ? n : nl + 1;
}

/** The state findLastLineEnd() carries: the scanner state, and whether a line held a newline. */
export interface LineScan {
  state: number;
  /**
   * Set (never cleared) when a complete line found may hold a newline that does not end it (only
   * a string can; where quotes are dense this is not checked and set anyway). While it is unset
   * every line found ends at its first newline, so a caller can go over those lines with plain
   * newline searches instead of scanning them again.
   */
  joined: boolean;
}

/**
 * Whether quotes come too often to jump between them: `lines` quoted lines found in `bytes`
 * bytes. A jump costs a few native calls (about as much as scanning 40-50 bytes), so where
 * nearly every short line holds a quote, scanning every byte is cheaper. Decided on at least 16
 * lines, so a few quoted lines close together do not turn it on.
 */
export function denseQuotes(lines: number, bytes: number): boolean {
  return lines >= 16 && bytes < lines * 128;
}

/**
 * The same as `scanLines(b, from, b.length, scan, false)` (same result, same `scan.state` left),
 * but byte by byte only over the lines that hold a quote. The state machine differs from a plain
 * newline split only inside a string, and a string is entered only through a quote byte, so from
 * a line start every newline before the next quote ends a line: native searches (memchr) find
 * that quote and the last newline before it, and the scanner runs from that line's start (its
 * state before the quote decides whether the quote opens a string: a field value, or a tag, a
 * comment...) to the line's true end. In line protocol with some string fields that is a small
 * part of the bytes. Where nearly every line holds a quote (denseQuotes) jumping costs more than
 * it skips, so the rest is scanned whole (as cheap as scanLines, and `joined` is set unchecked).
 * A line start is any point where the state is S_START; the line that is under way at `from`
 * (any other state) is first finished the same way.
 */
export function findLastLineEnd(b: Buffer, from: number, scan: LineScan): number {
  const n = b.length;
  let last = -1;
  let pos = from;
  if (scan.state !== S_START) {
    const nl = b.indexOf(NL, pos);
    const q = b.indexOf(QUOTE, pos);
    if (nl !== -1 && !inString(scan.state) && (q === -1 || nl < q)) {
      last = pos = nl + 1;
      scan.state = S_START;
    } else {
      const end = scanLines(b, pos, n, scan, true);
      if (end === -1) return -1;
      if (nl !== end - 1) scan.joined = true;
      last = pos = end;
    }
  }
  for (let lines = 0; ; lines++) {
    if (denseQuotes(lines, pos - from)) {
      // Nearly every line holds a quote: scan the rest whole, not checking for joined lines.
      scan.joined = true;
      scan.state = S_START;
      const end = scanLines(b, pos, n, scan, false);
      return end === -1 ? last : end;
    }
    const q = b.indexOf(QUOTE, pos);
    if (q === -1) {
      // No quote left: the last newline ends a line; the quote-free rest is scanned only for
      // the state it leaves.
      const nl = b.lastIndexOf(NL);
      if (nl >= pos) last = pos = nl + 1;
      scan.state = S_START;
      scanLines(b, pos, n, scan, false);
      return last;
    }
    const nl = b.lastIndexOf(NL, q);
    if (nl >= pos) last = pos = nl + 1;
    scan.state = S_START;
    const end = scanLines(b, pos, n, scan, true);
    if (end === -1) return last;
    if (!scan.joined && b.indexOf(NL, q) !== end - 1) scan.joined = true;
    last = pos = end;
  }
}
