import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  S_START,
  denseQuotes,
  findLastLineEnd,
  lineEnd,
  scanLines,
} from '../../format/lineprotocol/linescan.ts';
import { LineSplitter, type SplitResult } from './splitter.ts';

/**
 * The splitter as it was before it jumped over quote-free lines: the state machine run over the
 * whole of carry + chunk, and every line of an over-long region scanned (lineEnd when it holds a
 * quote, else newline by newline: what the window jumps stand for). Kept as the reference the
 * fast one must match region for region, count for count, byte held for byte held.
 */
class ReferenceSplitter {
  private carry: Buffer | null = null;
  private carryQuoted = false;
  private discarding = false;
  private readonly max: number;
  private readonly quoteAware: boolean;

  constructor(max: number, quoteAware: boolean) {
    this.max = max;
    this.quoteAware = quoteAware;
  }

  get pending(): number {
    return this.carry === null ? 0 : this.carry.length;
  }

  push(chunk: Buffer): SplitResult {
    const out: SplitResult = { regions: [], overlong: 0 };
    let start = 0;
    if (this.discarding) {
      const nl = chunk.indexOf(10);
      if (nl === -1) return out;
      start = nl + 1;
      this.discarding = false;
    }
    let end: number;
    if (!this.quoteAware || (!this.carryQuoted && chunk.indexOf(34, start) === -1)) {
      const nl = chunk.lastIndexOf(10);
      end = nl < start ? -1 : nl + 1;
    } else {
      const scan = { state: S_START };
      if (this.carry !== null) scanLines(this.carry, 0, this.carry.length, scan, false);
      end = scanLines(chunk, start, chunk.length, scan, false);
    }
    if (end === -1) {
      this.keep(chunk, start, out);
      return out;
    }
    const c = this.carry;
    const region = c === null ? chunk.subarray(start, end) : Buffer.concat([c, chunk.subarray(start, end)]);
    this.carry = null;
    this.carryQuoted = false;
    this.keep(chunk, end, out);
    this.cut(region, out);
    return out;
  }

  flush(): SplitResult {
    const out: SplitResult = { regions: [], overlong: 0 };
    if (this.carry !== null && this.carry.length > 0) out.regions.push(this.carry);
    this.carry = null;
    this.carryQuoted = false;
    this.discarding = false;
    return out;
  }

  private keep(chunk: Buffer, from: number, out: SplitResult): void {
    if (from >= chunk.length) return;
    if ((this.carry === null ? 0 : this.carry.length) + chunk.length - from > this.max) {
      this.carry = null;
      this.carryQuoted = false;
      this.discarding = true;
      out.overlong++;
      return;
    }
    const rest = chunk.subarray(from);
    this.carry = this.carry === null ? Buffer.from(rest) : Buffer.concat([this.carry, rest]);
    if (this.quoteAware && !this.carryQuoted) this.carryQuoted = rest.indexOf(34) !== -1;
  }

  private cut(region: Buffer, out: SplitResult): void {
    const n = region.length;
    if (n <= this.max) {
      out.regions.push(region);
      return;
    }
    const exact = this.quoteAware && region.indexOf(34) !== -1;
    let segStart = 0;
    for (let pos = 0; pos < n;) {
      let next: number;
      if (exact) next = lineEnd(region, pos, n);
      else {
        const nl = region.indexOf(10, pos);
        next = nl === -1 ? n : nl + 1;
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

/**
 * Line-protocol-ish text, heavy in the bytes the state machine turns on: quotes (opening after
 * `=`, stray in a measurement, tag or comment), escapes before quotes and newlines, spaces,
 * commas, `#`, CRLF; plus whole short lines, most with a quote (strings that hold a newline or
 * an escaped quote, a stray quote in a tag or a comment), so that long runs of lines that nearly
 * all hold a quote (the dense-quote path) come up as well as sparse ones.
 */
const texts = fc
  .array(
    fc.constantFrom(
      '"',
      '"',
      ' ',
      '\n',
      '\n',
      '\\',
      '=',
      ',',
      '#',
      'a',
      '1',
      '\r\n',
      '\\"',
      '\\\n',
      '="',
      ' f="',
      'm,t=v f=1 2\n',
      'm f="a" 1\n',
      'm s="x\ny" 3\n',
      'm f="\\"" 2\n',
      'm,t="v f=1\n',
      '# "c"\n',
    ),
    { maxLength: 400, size: 'max' },
  )
  .map((a) => a.join(''));

/** Cuts text into chunks at the given points (kept in range, deduplicated, empty chunks dropped). */
function chunked(text: string, cuts: number[]): Buffer[] {
  const b = Buffer.from(text);
  const points = [...new Set(cuts.map((c) => c % (b.length + 1)))].sort((x, y) => x - y);
  const chunks: Buffer[] = [];
  let prev = 0;
  for (const p of [...points, b.length]) {
    if (p > prev) chunks.push(b.subarray(prev, p));
    prev = p;
  }
  return chunks;
}

/** Everything one push or flush produced, as text, with what is held after it. */
function step(r: SplitResult, pending: number): { regions: string[]; overlong: number; pending: number } {
  return { regions: r.regions.map((b) => b.toString('latin1')), overlong: r.overlong, pending };
}

/** Feeds chunks and returns the complete lines seen, and how many were skipped. */
function run(s: LineSplitter, chunks: string[], end = true): { lines: string[]; overlong: number } {
  let text = '';
  let overlong = 0;
  for (const c of chunks) {
    const r = s.push(Buffer.from(c));
    overlong += r.overlong;
    for (const b of r.regions) text += b.toString();
  }
  if (end) for (const b of s.flush().regions) text += b.toString();
  return { lines: text.split('\n').filter((l) => l !== ''), overlong };
}

describe('LineSplitter', () => {
  it('should hand on only complete lines and hold the rest', () => {
    const s = new LineSplitter(1024, false);
    const r = s.push(Buffer.from('a 1\nb 2\nc'));
    expect(r.regions.map((b) => b.toString())).toEqual(['a 1\nb 2\n']);
    expect(s.pending).toBe(1);
    expect(s.push(Buffer.from(' 3\n')).regions.map((b) => b.toString())).toEqual(['c 3\n']);
  });

  it('should not end a line protocol line at a newline inside a quoted string', () => {
    const s = new LineSplitter(1024, true);
    const r = run(s, ['m s="one\ntwo" 1\nm v=1 2\n'], false);
    expect(r.lines).toEqual(['m s="one', 'two" 1', 'm v=1 2']);
    const s2 = new LineSplitter(1024, true);
    expect(s2.push(Buffer.from('m s="a\nb')).regions).toEqual([]);
    expect(s2.push(Buffer.from('" 1\n')).regions.map((b) => b.toString())).toEqual(['m s="a\nb" 1\n']);
  });

  it('should skip an over-long line spread over chunks and go on with the next', () => {
    const s = new LineSplitter(10, false);
    const r = run(s, ['ok 1\nxxxxxxxx', 'xxxxxxxx', 'xxx\nok 2\n']);
    expect(r).toEqual({ lines: ['ok 1', 'ok 2'], overlong: 1 });
  });

  it('should skip an over-long line that arrives whole inside a chunk', () => {
    const s = new LineSplitter(10, true);
    const r = run(s, ['ok 1\n' + 'y'.repeat(30) + '\nok 2\n']);
    expect(r).toEqual({ lines: ['ok 1', 'ok 2'], overlong: 1 });
  });

  it('should give the same lines however the stream is cut', () => {
    fc.assert(
      fc.property(
        fc.array(fc.stringMatching(/^[a-z ]{0,12}$/), { maxLength: 20 }),
        fc.array(fc.nat(40), { maxLength: 10 }),
        (ls, cuts) => {
          const text = ls.map((l) => l + '\n').join('');
          const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
          const chunks: string[] = [];
          let prev = 0;
          for (const p of points) {
            chunks.push(text.slice(prev, p));
            prev = p;
          }
          chunks.push(text.slice(prev));
          const got = run(
            new LineSplitter(64, false),
            chunks.filter((c) => c !== ''),
          );
          expect(got.lines).toEqual(ls.filter((l) => l !== ''));
        },
      ),
    );
  });

  it('should split exactly as the whole-stream state machine does, for any bytes and chunking', () => {
    fc.assert(
      fc.property(
        texts,
        fc.array(fc.nat(4000), { maxLength: 12 }),
        fc.oneof(fc.integer({ min: 1, max: 48 }), fc.integer({ min: 1, max: 5000 })),
        fc.boolean(),
        (text, cuts, max, quoteAware) => {
          const fast = new LineSplitter(max, quoteAware);
          const ref = new ReferenceSplitter(max, quoteAware);
          for (const chunk of chunked(text, cuts)) {
            // The regions are views into the chunk: each side gets its own copy.
            const got = step(fast.push(Buffer.from(chunk)), fast.pending);
            expect(got).toEqual(step(ref.push(Buffer.from(chunk)), ref.pending));
          }
          expect(step(fast.flush(), fast.pending)).toEqual(step(ref.flush(), ref.pending));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('should find the same last line end and state as scanLines from any state', () => {
    fc.assert(
      fc.property(texts, fc.nat(4000), fc.integer({ min: 0, max: 11 }), (text, at, state) => {
        const b = Buffer.from(text);
        const from = at % (b.length + 1);
        const want = { state };
        const end = scanLines(b, from, b.length, want, false);
        // Line by line: does a complete line hold a newline before its end?
        let joined = false;
        let lines = 0;
        const line = { state };
        for (let s = from; ; lines++) {
          const e = scanLines(b, s, b.length, line, true);
          if (e === -1) break;
          if (b.subarray(s, e - 1).includes(10)) joined = true;
          s = e;
        }
        const got = { state, joined: false };
        expect([findLastLineEnd(b, from, got), got.state]).toEqual([end, want.state]);
        // Where quotes are dense it is set without looking, so it must never be missing; with too
        // few lines to count as dense even in no bytes at all, it is exact.
        if (joined) expect(got.joined).toBe(true);
        if (!denseQuotes(lines, 0)) expect(got.joined).toBe(joined);
      }),
      { numRuns: 2000 },
    );
  });
});
