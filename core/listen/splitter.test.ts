import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineSplitter } from './splitter.ts';

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
});
