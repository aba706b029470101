/**
 * Cuts a byte stream (a TCP connection, a followed file) into regions of complete lines, so a
 * parser sees each region whole: one parse per chunk read, never one per line. A line longer
 * than `maxLineLength` is skipped and counted (its bytes are never held beyond that bound), and
 * the stream goes on with the next line. In line protocol mode a newline inside a quoted string
 * does not end a line (the same state machine as the parser).
 */
import {
  S_START,
  denseQuotes,
  findLastLineEnd,
  lineEnd,
  scanLines,
} from '../../format/lineprotocol/linescan.ts';
import type { LineScan } from '../../format/lineprotocol/linescan.ts';

const NL = 10;
const QUOTE = 34;

/** What one push() produced: complete-line regions to parse, and lines skipped as too long. */
export interface SplitResult {
  regions: Buffer[];
  overlong: number;
}

export class LineSplitter {
  private readonly max: number;
  private readonly quoteAware: boolean;
  private carry: Buffer | null = null;
  private carryQuoted = false;
  /**
   * Scanner state after carry[0, carryScanned) (quote-aware). A carry starts at a line start, so
   * (S_START, 0) is always right; the scanner path keeps it up to date, so a long line held over
   * many chunks is scanned once, not once per chunk.
   */
  private carryState = S_START;
  private carryScanned = 0;
  private discarding = false;
  /** Reused scanner state (quote-aware path). */
  private readonly scan: LineScan = { state: S_START, joined: false };
  /** The scanner state at the end of the last chunk lastLineEnd() scanned; -1 when not scanned. */
  private tailState = -1;

  /** `quoteAware`: line protocol rules (a quoted string may hold a newline). */
  constructor(maxLineLength: number, quoteAware: boolean) {
    this.max = maxLineLength;
    this.quoteAware = quoteAware;
  }

  /** Bytes held of an unfinished line. */
  get pending(): number {
    return this.carry === null ? 0 : this.carry.length;
  }

  /** Feeds one chunk; returns the complete-line regions (views, valid until the next push). */
  push(chunk: Buffer): SplitResult {
    const out: SplitResult = { regions: [], overlong: 0 };
    let start = 0;
    if (this.discarding) {
      const nl = chunk.indexOf(NL);
      if (nl === -1) return out;
      start = nl + 1;
      this.discarding = false;
    }
    const end = this.lastLineEnd(chunk, start);
    if (end === -1) {
      this.keep(chunk, start, out);
      return out;
    }
    const carry = this.carry;
    const region =
      carry === null ? chunk.subarray(start, end) : Buffer.concat([carry, chunk.subarray(start, end)]);
    // Whether some line of the region holds a newline (inside a string): then cutting it into
    // lines needs the scanner. The carry is part of its first line; lastLineEnd() saw the rest.
    const joined =
      region.length > this.max &&
      this.quoteAware &&
      (this.scan.joined || (carry !== null && carry.indexOf(NL) !== -1));
    this.drop();
    this.keep(chunk, end, out);
    this.cut(region, joined, out);
    return out;
  }

  /** End of stream: whatever is held is a last line without its newline. */
  flush(): SplitResult {
    const out: SplitResult = { regions: [], overlong: 0 };
    if (this.carry !== null && this.carry.length > 0) out.regions.push(this.carry);
    this.drop();
    this.discarding = false;
    return out;
  }

  /** Forgets the held line. */
  private drop(): void {
    this.carry = null;
    this.carryQuoted = false;
    this.carryState = S_START;
    this.carryScanned = 0;
  }

  /** Holds chunk[from:] as the start of the next line, or starts discarding when too long. */
  private keep(chunk: Buffer, from: number, out: SplitResult): void {
    if (from >= chunk.length) return;
    const held = this.carry === null ? 0 : this.carry.length;
    if (held + chunk.length - from > this.max) {
      this.drop();
      this.discarding = true;
      out.overlong++;
      return;
    }
    const rest = chunk.subarray(from);
    this.carry = this.carry === null ? Buffer.from(rest) : Buffer.concat([this.carry, rest]);
    if (this.quoteAware && !this.carryQuoted) this.carryQuoted = rest.indexOf(QUOTE) !== -1;
    if (this.tailState !== -1) {
      // lastLineEnd() scanned this chunk to its end: that is the state at the end of the carry.
      this.carryState = this.tailState;
      this.carryScanned = this.carry.length;
    }
  }

  /** Index just after the last line-ending newline in chunk[from:], or -1. */
  private lastLineEnd(chunk: Buffer, from: number): number {
    this.tailState = -1;
    this.scan.joined = false;
    const nl = chunk.lastIndexOf(NL);
    // Without a quote every newline ends a line; without a newline nothing does.
    if (nl < from) return -1;
    if (!this.quoteAware || (!this.carryQuoted && chunk.indexOf(QUOTE, from) === -1)) return nl + 1;
    const scan = this.scan;
    const carry = this.carry;
    if (carry === null) scan.state = S_START;
    else {
      // The line under way goes on in this chunk from the state at the carry's end.
      scan.state = this.carryState;
      if (this.carryScanned < carry.length) scanLines(carry, this.carryScanned, carry.length, scan, false);
      this.carryState = scan.state;
      this.carryScanned = carry.length;
    }
    const end = findLastLineEnd(chunk, from, scan);
    this.tailState = scan.state;
    return end;
  }

  /**
   * Adds the region, leaving out (and counting) lines longer than the maximum. `joined`: some
   * line may hold a newline that does not end it; when unset every newline ends a line.
   */
  private cut(region: Buffer, joined: boolean, out: SplitResult): void {
    const n = region.length;
    if (n <= this.max) {
      out.regions.push(region);
      return;
    }
    // Unless some line holds a newline inside a string (`joined`, rare: lastLineEnd() saw every
    // line), each newline ends a line and nothing is scanned. Otherwise only a line holding a
    // quote can end elsewhere than at its first newline (a string is entered through a quote),
    // so only those lines are scanned: `quoted` is the start of the next one (the line of the
    // next quote: after the last newline before it), n when none; where most lines hold a
    // quote, every line (the next line start).
    let quoted = joined ? this.quotedLine(region, 0) : n;
    let scanned = 0;
    let segStart = 0;
    let pos = 0;
    while (pos < n) {
      let next: number;
      if (pos === quoted) {
        next = lineEnd(region, pos, n);
        quoted = denseQuotes(++scanned, next) ? next : this.quotedLine(region, next);
      } else {
        // Jump by whole windows: a newline within max bytes of a line start bounds every line
        // up to it, so a long region costs a few searches, not one per line. Before a quoted
        // line every newline ends a line, and the one just before it bounds the window.
        const nl = region.lastIndexOf(NL, Math.min(pos + this.max, quoted) - 1);
        if (nl >= pos) {
          pos = nl + 1;
          continue;
        }
        const end = region.indexOf(NL, pos);
        next = end === -1 ? n : end + 1;
      }
      if (next - pos > this.max) {
        if (pos > segStart) out.regions.push(region.subarray(segStart, pos));
        out.overlong++;
        segStart = next;
      }
      pos = next;
    }
    if (segStart < n) out.regions.push(region.subarray(segStart, n));
  }

  /** Start of the first line at or after the line start `from` that holds a quote; the length if none. */
  private quotedLine(region: Buffer, from: number): number {
    const q = from < region.length ? region.indexOf(QUOTE, from) : -1;
    if (q === -1) return region.length;
    return Math.max(from, region.lastIndexOf(NL, q) + 1);
  }
}
