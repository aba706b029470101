import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VivaError } from '../../core/model/errors/index.ts';
import type { Spool } from './spool.ts';
import { drain, numberOf, openSpool, payload, tempDir } from './testing.ts';

let dir: string;
let cleanup: () => void;
const open: Spool[] = [];

function spoolAt(opts: Parameters<typeof openSpool>[1] = {}): Spool {
  const s = openSpool(dir, opts);
  open.push(s);
  return s;
}

async function appendRange(s: Spool, from: number, to: number, size = 100): Promise<void> {
  for (let i = from; i < to; i++) await s.append(payload(i, size));
}

function segmentFiles(): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.seg'));
}

beforeEach(() => {
  ({ dir, cleanup } = tempDir());
});

afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
  cleanup();
});

describe('Spool', () => {
  it('should hand back every appended payload in order, across segment rolls', async () => {
    const s = spoolAt({ segmentBytes: 1000 });
    const before = Date.now();
    await appendRange(s, 0, 50);
    expect(segmentFiles().length).toBeGreaterThan(5);
    const r = s.reader('a');
    const got = await drain(r);
    expect(got.map(numberOf)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(got.map((x) => x.payload)).toEqual(Array.from({ length: 50 }, (_, i) => payload(i)));
    const seqs = got.map((x) => x.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(50);
    for (const x of got) expect(x.appendedAt).toBeGreaterThanOrEqual(before);
    expect(r.lagRecords).toBe(50);
    r.commit(got[49]);
    expect(r.lagRecords).toBe(0);
    expect(r.lagBytes).toBe(0);
    expect(r.oldestUncommittedAt).toBeNull();
  });

  it('should return at most maxRecords, and one record even when it exceeds maxBytes', async () => {
    const s = spoolAt();
    await appendRange(s, 0, 10, 5000);
    const r = s.reader('a');
    expect((await r.read(3, 1 << 20)).map(numberOf)).toEqual([0, 1, 2]);
    expect((await r.read(100, 1)).map(numberOf)).toEqual([3]);
    expect((await r.read(100, 9000)).map(numberOf)).toEqual([4, 5]);
  });

  it('should read records larger than what is left of a chunk intact, whatever maxBytes', async () => {
    const corrupt: string[] = [];
    const s = spoolAt({ onCorrupt: (_n, detail) => corrupt.push(detail) });
    await appendRange(s, 0, 120, 50_000);
    for (const maxBytes of [4 << 20, 70_000, 1, 130_000]) {
      const got = await drain(s.reader(`r${maxBytes}`), 1000, maxBytes);
      expect(got.map(numberOf)).toEqual(Array.from({ length: 120 }, (_, i) => i));
    }
    expect(corrupt).toEqual([]);
  });

  it('should let two readers read at their own positions', async () => {
    const s = spoolAt({ segmentBytes: 1000 });
    await appendRange(s, 0, 20);
    const a = s.reader('a');
    const b = s.reader('b');
    const a1 = await a.read(5, 1 << 20);
    a.commit(a1[4]);
    expect(a.lagRecords).toBe(15);
    expect(b.lagRecords).toBe(20);
    expect((await b.read(3, 1 << 20)).map(numberOf)).toEqual([0, 1, 2]);
    expect((await a.read(3, 1 << 20)).map(numberOf)).toEqual([5, 6, 7]);
    expect(b.oldestUncommittedAt).toBe(a1[0].appendedAt);
    expect(a.oldestUncommittedAt).toBe((await drain(b)).find((x) => numberOf(x) === 5)?.appendedAt);
  });

  it('should delete a segment only once every open reader has committed past it', async () => {
    const s = spoolAt({ segmentBytes: 1000 });
    await appendRange(s, 0, 40);
    const a = s.reader('a');
    const b = s.reader('b');
    const all = await drain(a);
    const files = segmentFiles().length;
    const bytes = s.bytes;
    a.commit(all[39]);
    await waitImmediate();
    expect(segmentFiles().length).toBe(files);
    expect(s.records).toBe(40);
    const bAll = await drain(b);
    b.commit(bAll[19]);
    await waitImmediate();
    expect(segmentFiles().length).toBeLessThan(files);
    expect(s.bytes).toBeLessThan(bytes);
    expect(s.records).toBe(20);
    b.commit(bAll[39]);
    await waitImmediate();
    // The segment being written stays; every older one went.
    expect(segmentFiles().length).toBeLessThanOrEqual(2);
    expect(s.records).toBe(0);
  });

  it('should not let a closed reader pin segments', async () => {
    const s = spoolAt({ segmentBytes: 1000 });
    await appendRange(s, 0, 40);
    const a = s.reader('a');
    s.reader('b').close();
    a.commit((await drain(a))[39]);
    await waitImmediate();
    expect(segmentFiles().length).toBeLessThanOrEqual(2);
  });

  it('should resume each cursor where it was committed after a reopen', async () => {
    let s = spoolAt({ segmentBytes: 1000 });
    await appendRange(s, 0, 30);
    const a = s.reader('a');
    const b = s.reader('b');
    a.commit((await a.read(10, 1 << 20))[9]);
    const bGot = await b.read(25, 1 << 20);
    b.commit(bGot[24]);
    const lastSeq = bGot[24].seq;
    await s.close();
    s = spoolAt({ segmentBytes: 1000 });
    await appendRange(s, 30, 35);
    const a2 = s.reader('a');
    const b2 = s.reader('b');
    expect((await drain(a2)).map(numberOf)).toEqual(Array.from({ length: 25 }, (_, i) => 10 + i));
    const b2Got = await drain(b2);
    expect(b2Got.map(numberOf)).toEqual([25, 26, 27, 28, 29, 30, 31, 32, 33, 34]);
    expect(b2Got[0].seq).toBeGreaterThan(lastSeq);
    expect(b2.lagRecords).toBe(10);
  });

  it('should keep seq increasing across a reopen after every record was deleted', async () => {
    let s = spoolAt({ segmentBytes: 1000 });
    await appendRange(s, 0, 20);
    const a = s.reader('a');
    const got = await drain(a);
    a.commit(got[19]);
    await s.close();
    s = spoolAt({ segmentBytes: 1000 });
    const a2 = s.reader('a');
    a2.commit((await drain(a2)).at(-1) ?? got[19]);
    await s.close();
    s = spoolAt({ segmentBytes: 1000 });
    await s.append(payload(99));
    const [rec] = await s.reader('a').read(10, 1 << 20);
    expect(numberOf(rec)).toBe(99);
    expect(rec.seq).toBeGreaterThan(got[19].seq);
  });

  it('should start a new reader at the oldest record or at the newest', async () => {
    const s = spoolAt();
    await appendRange(s, 0, 5);
    const oldest = s.reader('old', 'oldest');
    const newest = s.reader('new', 'newest');
    expect(newest.lagRecords).toBe(0);
    expect(newest.oldestUncommittedAt).toBeNull();
    await appendRange(s, 5, 7);
    expect((await drain(oldest)).map(numberOf)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect((await drain(newest)).map(numberOf)).toEqual([5, 6]);
    expect(newest.lagRecords).toBe(2);
  });

  it('should read the same records again, in order, after a rewind', async () => {
    const s = spoolAt({ segmentBytes: 1000 });
    await appendRange(s, 0, 30);
    const r = s.reader('a');
    r.commit((await r.read(4, 1 << 20))[3]);
    const first = await r.read(12, 1 << 20);
    await r.read(5, 1 << 20);
    r.rewind();
    const again = await r.read(12, 1 << 20);
    expect(again.map(numberOf)).toEqual(first.map(numberOf));
    expect(again.map(numberOf)).toEqual(Array.from({ length: 12 }, (_, i) => 4 + i));
  });

  it('should wait for an append when caught up, and resolve [] on abort or close', async () => {
    const s = spoolAt();
    const r = s.reader('a');
    const pending = r.read(10, 1 << 20);
    await s.append(payload(7));
    expect((await pending).map(numberOf)).toEqual([7]);
    const ac = new AbortController();
    const aborted = r.read(10, 1 << 20, ac.signal);
    ac.abort();
    expect(await aborted).toEqual([]);
    const closing = r.read(10, 1 << 20);
    await s.close();
    expect(await closing).toEqual([]);
  });

  it('should be full at maxBytes and not full once readers committed and segments went', async () => {
    const s = spoolAt({ segmentBytes: 1000, maxBytes: 3000 });
    const r = s.reader('a');
    let i = 0;
    while (!s.isFull()) await s.append(payload(i++));
    expect(s.bytes).toBeGreaterThanOrEqual(3000);
    const got = await drain(r);
    expect(got).toHaveLength(i);
    r.commit(got[i - 1]);
    await waitImmediate();
    expect(s.isFull()).toBe(false);
    expect(s.bytes).toBeLessThan(3000);
  });

  it('should not stay full once readers committed when maxBytes is below the default segment size', async () => {
    // A collector with spool_max_bytes under 64 MiB once kept the one segment being written, full,
    // and answered 429 forever after its destination had taken everything.
    const s = spoolAt({ maxBytes: 4000 });
    const r = s.reader('a');
    let i = 0;
    while (!s.isFull()) await s.append(payload(i++));
    const got = await drain(r);
    expect(got).toHaveLength(i);
    r.commit(got[i - 1]);
    await waitImmediate();
    expect(s.isFull()).toBe(false);
    await s.append(payload(i));
    expect(s.isFull()).toBe(false);
  });

  it('should refuse a second open of the same directory with a clear error', async () => {
    spoolAt();
    expect(() => openSpool(dir)).toThrow(VivaError);
    expect(() => openSpool(dir)).toThrow(/in use by process/);
  });

  it('should refuse a reader name that is not a plain file name, or one open twice', () => {
    const s = spoolAt();
    expect(() => s.reader('../x')).toThrow(VivaError);
    s.reader('x');
    expect(() => s.reader('x')).toThrow(/open already/);
  });

  it('should persist the committed cursor in cursors/<name>.json', async () => {
    const s = spoolAt();
    await appendRange(s, 0, 3);
    const r = s.reader('dest-1');
    const got = await drain(r);
    r.commit(got[1]);
    await waitImmediate();
    const c = JSON.parse(readFileSync(join(dir, 'cursors', 'dest-1.json'), 'utf8')) as { seq: number };
    expect(c.seq).toBe(got[1].seq);
  });

  it('should write a cursor at most once per cursorWriteMs, the newest commit of the period', async () => {
    const s = spoolAt({ cursorWriteMs: 600_000, maxBytes: 2 ** 30 });
    await appendRange(s, 0, 5);
    const r = s.reader('dest-1');
    const got = await drain(r);
    const saved = (): number =>
      (JSON.parse(readFileSync(join(dir, 'cursors', 'dest-1.json'), 'utf8')) as { seq: number }).seq;
    r.commit(got[0]);
    await waitImmediate();
    // The first commit after a quiet period is written at once; the next ones wait for the period.
    expect(saved()).toBe(got[0].seq);
    r.commit(got[1]);
    await waitImmediate();
    r.commit(got[3]);
    await waitImmediate();
    expect(saved()).toBe(got[0].seq);
    await s.close();
    expect(saved()).toBe(got[3].seq);
  });

  it('should write the newest commit once its period is over', async () => {
    const s = spoolAt({ cursorWriteMs: 50, maxBytes: 2 ** 30 });
    await appendRange(s, 0, 5);
    const r = s.reader('dest-1');
    const got = await drain(r);
    const saved = (): number =>
      (JSON.parse(readFileSync(join(dir, 'cursors', 'dest-1.json'), 'utf8')) as { seq: number }).seq;
    r.commit(got[0]);
    await waitImmediate();
    r.commit(got[4]);
    await waitImmediate();
    for (let i = 0; i < 200 && saved() !== got[4].seq; i++) await new Promise((res) => setTimeout(res, 10));
    expect(saved()).toBe(got[4].seq);
  });

  it('should store a record given as parts as the parts one after the other', async () => {
    const s = spoolAt();
    await s.append([Buffer.from('head:'), Buffer.alloc(0), payload(7, 300)]);
    await s.append(payload(8));
    const got = await drain(s.reader('a'));
    expect(got.map((r) => r.payload.length)).toEqual([305, 100]);
    expect(got[0].payload.subarray(0, 5).toString()).toBe('head:');
    expect(got[0].payload.subarray(5).equals(payload(7, 300))).toBe(true);
    expect(numberOf(got[1])).toBe(8);
  });

  it('should reject appends after close', async () => {
    const s = spoolAt();
    await s.close();
    await expect(s.append(payload(1))).rejects.toThrow(VivaError);
  });

  it('should resolve fsync=interval appends once written, and close twice harmlessly', async () => {
    const s = spoolAt({ fsync: 'interval', fsyncIntervalMs: 5 });
    await appendRange(s, 0, 20);
    expect((await drain(s.reader('a'))).map(numberOf)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    await s.close();
    await s.close();
  });

  it('should resume a reader closed and opened again in the same process at its commit', async () => {
    const s = spoolAt();
    await appendRange(s, 0, 6);
    const r = s.reader('a');
    r.commit((await r.read(2, 1 << 20))[1]);
    await r.read(2, 1 << 20);
    r.close();
    expect(await r.read(2, 1 << 20)).toEqual([]);
    expect((await drain(s.reader('a'))).map(numberOf)).toEqual([2, 3, 4, 5]);
  });

  it('should refuse invalid options with a coded error', () => {
    expect(() => openSpool(dir, { maxBytes: 0 })).toThrow(VivaError);
    expect(() => openSpool(dir, { fsync: 'sometimes' as 'never' })).toThrow(/fsync/);
  });

  it('should resolve fsync=always appends, many at once', async () => {
    const s = spoolAt({ fsync: 'always', segmentBytes: 4000 });
    await Promise.all(Array.from({ length: 100 }, (_, i) => s.append(payload(i))));
    expect((await drain(s.reader('a'))).map(numberOf)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });
});

function waitImmediate(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
