import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Spool } from './spool.ts';
import { drain, numberOf, openSpool, payload, tempDir } from './testing.ts';

const FRAME = 24 + 100;

let dir: string;
let cleanup: () => void;
let s: Spool;

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

beforeEach(async () => {
  ({ dir, cleanup } = tempDir());
  s = openSpool(dir, { segmentBytes: 5 * FRAME });
  for (let i = 0; i < 30; i++) await s.append(payload(i));
});

afterEach(async () => {
  await s.close();
  cleanup();
});

describe('Spool.trim', () => {
  it('should delete the oldest segments beyond maxBytes and move lagging readers, reporting their loss', async () => {
    const a = s.reader('a');
    const b = s.reader('b');
    a.commit((await a.read(10, 1 << 20))[9]);
    const result = s.trim(12 * FRAME, Infinity);
    // Segments of five records: 30 records in 6 segments; at most 12 records' worth may stay: 2 segments.
    expect(result).toMatchObject({
      records: 20,
      bytes: 20 * FRAME,
      readers: { a: 10, b: 20 },
      firstSeq: 1,
      lastSeq: 20,
    });
    expect(s.bytes).toBe(10 * FRAME);
    expect((await drain(a)).map(numberOf)).toEqual(range(20, 30));
    expect((await drain(b)).map(numberOf)).toEqual(range(20, 30));
    expect(a.lagRecords).toBe(10);
  });

  it('should delete segments whose records are all older than maxAgeMs, keeping the one being written', async () => {
    const r = s.reader('a');
    const t = Date.now();
    while (Date.now() <= t) await new Promise((resolve) => setImmediate(resolve));
    const result = s.trim(Infinity, 0);
    // The segment being written (records 25 to 29) stays.
    expect(result).toMatchObject({
      records: 25,
      bytes: 25 * FRAME,
      readers: { a: 25 },
      firstSeq: 1,
      lastSeq: 25,
    });
    await s.append(payload(30));
    expect((await drain(r)).map(numberOf)).toEqual(range(25, 31));
  });

  it('should delete nothing when within both limits', () => {
    expect(s.trim(1 << 30, 60_000)).toMatchObject({ records: 0, bytes: 0, readers: {}, firstSeq: null });
    expect(s.bytes).toBe(30 * FRAME);
  });
});
