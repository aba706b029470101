import { readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Spool } from './spool.ts';
import { drain, numberOf, openSpool, payload, tempDir } from './testing.ts';

const FRAME = 24 + 100;

let dir: string;
let cleanup: () => void;
const open: Spool[] = [];
let corrupt: { records: number; detail: string }[];

function spoolAt(segmentBytes = 1 << 20): Spool {
  const s = openSpool(dir, {
    segmentBytes,
    onCorrupt: (records, detail) => corrupt.push({ records, detail }),
  });
  open.push(s);
  return s;
}

async function writeAndClose(n: number, segmentBytes = 1 << 20): Promise<void> {
  const s = spoolAt(segmentBytes);
  for (let i = 0; i < n; i++) await s.append(payload(i));
  await s.close();
}

function segments(): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.seg'))
    .sort()
    .map((f) => join(dir, f));
}

function flipByte(path: string, at: number): void {
  const data = readFileSync(path);
  data[at] ^= 0xff;
  writeFileSync(path, data);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

beforeEach(() => {
  ({ dir, cleanup } = tempDir());
  corrupt = [];
});

afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
  cleanup();
});

describe('Spool recovery', () => {
  it('should cut a torn tail, count it, and keep every complete record', async () => {
    await writeAndClose(10);
    const [seg] = segments();
    truncateSync(seg, statSync(seg).size - 30);
    const s = spoolAt();
    expect(corrupt).toHaveLength(1);
    expect(corrupt[0].detail).toMatch(/torn/);
    expect(statSync(seg).size).toBe(9 * FRAME);
    expect((await drain(s.reader('a'))).map(numberOf)).toEqual(range(0, 9));
    await s.append(payload(10));
    expect((await drain(s.reader('b'))).map(numberOf)).toEqual([...range(0, 9), 10]);
  });

  it('should skip a record with a flipped byte, count it once, and read the rest intact', async () => {
    await writeAndClose(10);
    flipByte(segments()[0], 4 * FRAME + 24 + 50);
    const s = spoolAt();
    expect((await drain(s.reader('a'))).map(numberOf)).toEqual([0, 1, 2, 3, 5, 6, 7, 8, 9]);
    expect((await drain(s.reader('b'))).map(numberOf)).toEqual([0, 1, 2, 3, 5, 6, 7, 8, 9]);
    expect(corrupt).toEqual([{ records: 1, detail: expect.stringMatching(/checksum/) as unknown as string }]);
  });

  it('should lose the rest of an older segment whose frame chain broke, and read the next segments', async () => {
    await writeAndClose(30, 5 * FRAME);
    const first = segments()[0];
    // The length field of the third record says more than the segment holds.
    flipByte(first, 2 * FRAME + 3);
    const s = spoolAt();
    expect((await drain(s.reader('a'))).map(numberOf)).toEqual([0, 1, ...range(5, 30)]);
    expect(corrupt).toHaveLength(1);
    expect(corrupt[0].detail).toMatch(/broken frame/);
  });

  it('should never crash on a garbage segment file', async () => {
    writeFileSync(
      join(dir, '00000000000000000003.seg'),
      Buffer.from('garbage that is no frame at all, not even close'),
    );
    writeFileSync(join(dir, '00000000000000000001.seg'), Buffer.alloc(1000, 0xff));
    const s = spoolAt();
    await s.append(payload(1));
    expect((await drain(s.reader('a'))).map(numberOf)).toEqual([1]);
    expect(corrupt.length).toBeGreaterThanOrEqual(1);
  });

  it('should treat an unreadable cursor file as a new reader', async () => {
    await writeAndClose(3);
    writeFileSync(join(dir, 'cursors', 'a.json'), '{not json');
    const s = spoolAt();
    expect((await drain(s.reader('a'))).map(numberOf)).toEqual([0, 1, 2]);
  });

  it('should move a cursor whose segments were deleted to the next record, counting what it skipped', async () => {
    let s = spoolAt(5 * FRAME);
    for (let i = 0; i < 30; i++) await s.append(payload(i));
    // b's cursor stays at the start, but b is not open: it does not pin segments.
    s.reader('b').close();
    const a = s.reader('a');
    const got = await drain(a);
    a.commit(got[11]);
    await s.close();
    s = spoolAt(5 * FRAME);
    const b = s.reader('b');
    const left = (await drain(b)).map(numberOf);
    expect(left[0]).toBeGreaterThan(0);
    expect(left).toEqual(range(left[0], 30));
    expect(corrupt).toEqual([
      { records: left[0], detail: expect.stringMatching(/reader b skipped/) as unknown as string },
    ]);
  });
});
