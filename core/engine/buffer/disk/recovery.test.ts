import { appendFileSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DiskBuffer } from './buffer.ts';
import type { DiskBufferOptions } from './buffer.ts';
import { listSegments, segmentPath } from './segment.ts';
import { batch, put, seqs, tempDir } from './testing.ts';

let dir: string;
let cleanup: () => void;
let drops: [number, string][];
const open: DiskBuffer[] = [];

function openBuffer(opts: Partial<DiskBufferOptions> = {}): DiskBuffer {
  const b = DiskBuffer.open({ dir, fsync: 'never', onDrop: (n, why) => drops.push([n, why]), ...opts });
  open.push(b);
  return b;
}

/** Writes batches 0..n-1 of `size` metrics each and closes the buffer. */
async function writeBatches(n: number, size: number, opts: Partial<DiskBufferOptions> = {}): Promise<void> {
  const b = openBuffer(opts);
  for (let i = 0; i < n; i++) put(b, batch(i, size), null);
  await b.close();
}

function drain(b: DiskBuffer): number[] {
  const out: number[] = [];
  for (let t = b.take(1000); t !== null; t = b.take(1000)) {
    out.push(...seqs(t.metrics));
    b.ack(t);
  }
  return out;
}

function expected(ids: number[], size: number): number[] {
  return ids.flatMap((i) => seqs(batch(i, size)));
}

/** Frame offsets of the records of a segment file. */
function frames(path: string): number[] {
  const data = readFileSync(path);
  const out: number[] = [];
  for (let off = 0; off + 8 <= data.length; off += 8 + data.readUInt32LE(off)) out.push(off);
  return out;
}

function firstSegment(): string {
  return segmentPath(dir, listSegments(dir)[0]);
}

function patch(path: string, at: number, f: (b: number) => number): void {
  const data = readFileSync(path);
  data[at] = f(data[at]);
  writeFileSync(path, data);
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

beforeEach(() => {
  ({ dir, cleanup } = tempDir());
  drops = [];
});

afterEach(async () => {
  for (const b of open.splice(0)) await b.close();
  cleanup();
});

describe('DiskBuffer recovery', () => {
  it('should cut a torn record at the tail and recover every complete one', async () => {
    await writeBatches(10, 4);
    const seg = firstSegment();
    const last = frames(seg)[9];
    truncateSync(seg, last + 13);
    const b = openBuffer();
    expect(b.recovery).toMatchObject({ records: 9, corruptRecords: 0, tornBytes: 13 });
    expect(readFileSync(seg).length).toBe(last);
    expect(drain(b)).toEqual(expected(range(9), 4));
    expect(drops).toEqual([]);
  });

  it('should cut a torn frame header and zeros left at the tail by a crash', async () => {
    await writeBatches(5, 4);
    const seg = firstSegment();
    truncateSync(seg, frames(seg)[4] + 3);
    appendFileSync(seg, Buffer.alloc(100));
    const b = openBuffer();
    expect(drain(b)).toEqual(expected(range(4), 4));
    expect(drops).toEqual([]);
  });

  it('should count a record with a flipped byte as corrupt and replay the rest', async () => {
    await writeBatches(10, 4);
    const seg = firstSegment();
    patch(seg, frames(seg)[5] + 30, (x) => x ^ 0xff);
    const b = openBuffer();
    expect(b.recovery).toMatchObject({ records: 9, corruptRecords: 1 });
    expect(drops).toEqual([[4, 'corrupt']]);
    expect(drain(b)).toEqual(expected([0, 1, 2, 3, 4, 6, 7, 8, 9], 4));
  });

  it('should skip the rest of a segment whose framing broke and still replay later segments', async () => {
    await writeBatches(30, 4, { segmentBytes: 1000 });
    const ids = listSegments(dir);
    expect(ids.length).toBeGreaterThan(2);
    const seg = segmentPath(dir, ids[0]);
    const offs = frames(seg);
    patch(seg, offs[1] + 3, () => 0x7f); // length of the second record: now far past the file end
    const b = openBuffer();
    const lost = offs.length - 1;
    expect(b.recovery.corruptRecords).toBe(1);
    expect(drops).toEqual([[1, 'corrupt']]);
    expect(drain(b)).toEqual(expected([0, ...range(30).slice(offs.length)], 4));
    expect(lost).toBeGreaterThan(0);
  });

  it('should replay from the oldest segment when the checkpoint is unreadable', async () => {
    const b = openBuffer();
    for (let i = 0; i < 4; i++) put(b, batch(i, 2), null);
    const t = b.take(4);
    if (t === null) throw new Error('expected a batch');
    b.ack(t);
    await b.close();
    writeFileSync(join(dir, 'checkpoint.json'), '{"version":1,"segm');
    expect(drain(openBuffer())).toEqual(expected(range(4), 2));
  });

  it('should drop a record that fails its checksum when read, counted', () => {
    const b = openBuffer();
    for (let i = 0; i < 3; i++) put(b, batch(i, 5), null);
    const seg = segmentPath(dir, listSegments(dir).at(-1) as number);
    patch(seg, frames(seg)[1] + 20, (x) => x ^ 1);
    expect(drain(b)).toEqual(expected([0, 2], 5));
    expect(drops).toEqual([[5, 'corrupt']]);
    expect(b.length).toBe(0);
  });

  it('should drop a record that passes its checksum but does not decode, counted', async () => {
    await writeBatches(2, 3);
    const payload = Buffer.from([
      1, 3, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee,
      0xee, 0xee,
    ]);
    const head = Buffer.alloc(8);
    head.writeUInt32LE(payload.length, 0);
    head.writeUInt32LE(crc32(payload), 4);
    const seg = firstSegment();
    const data = readFileSync(seg);
    writeFileSync(
      seg,
      Buffer.concat([data.subarray(0, frames(seg)[1]), head, payload, data.subarray(frames(seg)[1])]),
    );
    const b = openBuffer();
    expect(b.recovery.records).toBe(3);
    expect(drain(b)).toEqual(expected([0, 1], 3));
    expect(drops).toEqual([[3, 'corrupt']]);
  });

  it('should delete segments left before the checkpoint by a crash during cleanup', async () => {
    await writeBatches(20, 4, { segmentBytes: 600 });
    const b = openBuffer();
    const ids = listSegments(dir);
    writeFileSync(join(dir, 'checkpoint.json'), JSON.stringify({ version: 1, segment: ids[2], offset: 0 }));
    await b.close();
    // close() rewrote the checkpoint; put the crash-time one back.
    writeFileSync(join(dir, 'checkpoint.json'), JSON.stringify({ version: 1, segment: ids[2], offset: 0 }));
    const again = openBuffer();
    expect(listSegments(dir)[0]).toBe(ids[2]);
    expect(again.length).toBeLessThan(80);
  });
});
