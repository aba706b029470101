/**
 * Cuts a byte stream (a TCP connection, a followed file) into regions of complete lines, so a
 * parser sees each region whole: one parse per chunk read, never one per line. A line longer
 * than `maxLineLength` is skipped and counted (its bytes are never held beyond that bound), and
 * the stream goes on with the next line. In line protocol mode a newline inside a quoted string
 * does not end a line (the same state machine as the parser).
 */
import { S_START, lineEnd, scanLines } from '../format/lineprotocol/linescan.ts';

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
  private discarding = false;
  /** Reused scanner state (quote-aware slow path). */
  private readonly scan = { state: S_START };

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
    this.carry = null;
    this.carryQuoted = false;
    this.keep(chunk, end, out);
    this.cut(region, out);
    return out;
  }

  /** End of stream: whatever is held is a last line without its newline. */
  flush(): SplitResult {
    const out: SplitResult = { regions: [], overlong: 0 };
    if (this.carry !== null && this.carry.length > 0) out.regions.push(this.carry);
    this.carry = null;
    this.carryQuoted = false;
    this.discarding = false;
    return out;
  }

  /** Holds chunk[from:] as the start of the next line, or starts discarding when too long. */
  private keep(chunk: Buffer, from: number, out: SplitResult): void {
    if (from >= chunk.length) return;
    const held = this.carry === null ? 0 : this.carry.length;
    if (held + chunk.length - from > this.max) {
      this.carry = null;
      this.carryQuoted = false;
      this.discarding = true;
      out.overlong++;
      return;
    }
    const rest = chunk.subarray(from);
    this.carry = this.carry === null ? Buffer.from(rest) : Buffer.concat([this.carry, rest]);
    if (this.quoteAware && !this.carryQuoted) this.carryQuoted = rest.indexOf(QUOTE) !== -1;
  }

  /** Index just after the last line-ending newline in chunk[from:], or -1. */
  private lastLineEnd(chunk: Buffer, from: number): number {
    if (!this.quoteAware || (!this.carryQuoted && chunk.indexOf(QUOTE, from) === -1)) {
      const nl = chunk.lastIndexOf(NL);
      return nl < from ? -1 : nl + 1;
    }
    const scan = this.scan;
    scan.state = S_START;
    if (this.carry !== null) scanLines(this.carry, 0, this.carry.length, scan, false);
    return scanLines(chunk, from, chunk.length, scan, false);
  }

  /** Adds the region, leaving out (and counting) lines longer than the maximum. */
  private cut(region: Buffer, out: SplitResult): void {
    const n = region.length;
    if (n <= this.max) {
      out.regions.push(region);
      return;
    }
    const exact = this.quoteAware && region.indexOf(QUOTE) !== -1;
    let segStart = 0;
    let pos = 0;
    while (pos < n) {
      let next: number;
      if (exact) next = lineEnd(region, pos, n);
      else {
        // Jump by whole windows: a newline within max bytes of a line start bounds every line
        // up to it, so a long region costs a few searches, not one per line.
        const nl = region.lastIndexOf(NL, Math.min(pos + this.max - 1, n - 1));
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
}
