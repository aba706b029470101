import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../model/errors/index.ts';
import { Delivery } from '../../pipeline/delivery.ts';
import { DiskBuffer } from './buffer.ts';
import type { DiskBufferOptions } from './buffer.ts';
import { batch, put, seqs, tempDir } from './testing.ts';

let dir: string;
let cleanup: () => void;
const open: DiskBuffer[] = [];

function openBuffer(opts: Partial<DiskBufferOptions> = {}): DiskBuffer {
  const b = DiskBuffer.open({ dir, fsync: 'never', ...opts });
  open.push(b);
  return b;
}

async function reopen(b: DiskBuffer, opts: Partial<DiskBufferOptions> = {}): Promise<DiskBuffer> {
  await b.close();
  return openBuffer(opts);
}

function drain(b: DiskBuffer, max = 1_000_000): number[] {
  const out: number[] = [];
  for (let t = b.take(max); t !== null; t = b.take(max)) {
    out.push(...seqs(t.metrics));
    b.ack(t);
  }
  return out;
}

function segments(): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.seg'));
}

beforeEach(() => {
  ({ dir, cleanup } = tempDir());
});

afterEach(async () => {
  for (const b of open.splice(0)) await b.close();
  cleanup();
});

describe('DiskBuffer', () => {
  it('should hand out whole records oldest first, up to max metrics', () => {
    const b = openBuffer();
    put(b, batch(1, 3), null);
    put(b, batch(2, 3), null);
    put(b, batch(3, 10), null);
    expect(b.length).toBe(16);
    const first = b.take(7);
    expect(seqs(first?.metrics ?? [])).toEqual([...seqs(batch(1, 3)), ...seqs(batch(2, 3))]);
    const big = b.take(4);
    expect(big?.metrics.length).toBe(10);
    expect(b.take(5)).toBeNull();
    expect(b.length).toBe(16);
  });

  it('should forget acknowledged batches and keep their bytes out of the count', () => {
    const b = openBuffer();
    put(b, batch(1, 5), null);
    put(b, batch(2, 5), null);
    const bytesBefore = b.bytes;
    const t = b.take(5);
    if (t === null) throw new Error('expected a batch');
    b.ack(t);
    expect(b.length).toBe(5);
    expect(b.bytes).toBeLessThan(bytesBefore);
    expect(b.bytes).toBeGreaterThan(0);
    b.ack(t);
    expect(b.length).toBe(5);
  });

  it('should give a nacked batch back first, in order', () => {
    const b = openBuffer();
    for (let i = 1; i <= 4; i++) put(b, batch(i, 2), null);
    const t1 = b.take(2);
    const t2 = b.take(2);
    if (t1 === null || t2 === null) throw new Error('expected batches');
    b.nack(t2);
    b.nack(t1);
    expect(drain(b)).toEqual([1, 2, 3, 4].flatMap((i) => seqs(batch(i, 2))));
    expect(b.length).toBe(0);
  });

  it('should advance the read position only past acknowledged prefixes when acks come out of order', async () => {
    let b = openBuffer();
    for (let i = 1; i <= 3; i++) put(b, batch(i, 2), null);
    const t1 = b.take(2);
    const t2 = b.take(2);
    if (t1 === null || t2 === null) throw new Error('expected batches');
    b.ack(t2);
    b = await reopen(b);
    expect(drain(b)).toEqual([1, 2, 3].flatMap((i) => seqs(batch(i, 2))));
  });

  it('should replay everything pending after a restart, once and in order', async () => {
    let b = openBuffer();
    for (let i = 1; i <= 5; i++) put(b, batch(i, 3), null);
    b.take(6);
    b = await reopen(b);
    expect(b.length).toBe(15);
    expect(b.recovery).toMatchObject({ records: 5, metrics: 15, corruptRecords: 0, tornBytes: 0 });
    expect(drain(b)).toEqual([1, 2, 3, 4, 5].flatMap((i) => seqs(batch(i, 3))));
    b = await reopen(b);
    expect(b.length).toBe(0);
    expect(b.take(10)).toBeNull();
  });

  it('should replay only what was not acknowledged', async () => {
    let b = openBuffer();
    for (let i = 1; i <= 4; i++) put(b, batch(i, 3), null);
    const t = b.take(6);
    if (t === null) throw new Error('expected a batch');
    b.ack(t);
    b = await reopen(b);
    expect(drain(b)).toEqual([3, 4].flatMap((i) => seqs(batch(i, 3))));
  });

  it('should roll segments and delete those fully consumed', async () => {
    let b = openBuffer({ segmentBytes: 2048 });
    for (let i = 0; i < 40; i++) put(b, batch(i, 10), null);
    expect(segments().length).toBeGreaterThan(3);
    b = await reopen(b, { segmentBytes: 2048 });
    expect(drain(b, 30)).toEqual(Array.from({ length: 40 }, (_, i) => seqs(batch(i, 10))).flat());
    // The segment being written stays; every consumed one is gone.
    expect(segments().length).toBe(1);
    expect(b.bytes).toBe(0);
  });

  it('should drop the oldest records beyond maxBytes and count them', () => {
    const drops: [number, string][] = [];
    const probe = DiskBuffer.open({ dir: join(dir, 'probe'), fsync: 'never' });
    put(probe, batch(4, 10), null);
    const recordBytes = probe.bytes;
    open.push(probe);
    const b = openBuffer({ maxBytes: recordBytes * 3, onDrop: (n, why) => drops.push([n, why]) });
    for (let i = 0; i < 5; i++) put(b, batch(i, 10), null);
    expect(drops).toEqual([
      [10, 'buffer_full'],
      [10, 'buffer_full'],
    ]);
    expect(b.length).toBe(30);
    expect(drain(b)).toEqual([2, 3, 4].flatMap((i) => seqs(batch(i, 10))));
  });

  it('should drop metrics without fields or name, counted, and keep the rest of their batch', () => {
    const drops: [number, string][] = [];
    const b = openBuffer({ onDrop: (n, why) => drops.push([n, why]) });
    const metrics = batch(1, 4);
    metrics[1].fields = {};
    metrics[3].name = '';
    put(b, metrics, null);
    expect(drops).toEqual([[2, 'malformed']]);
    expect(drain(b)).toEqual(seqs([metrics[0], metrics[2]]));
  });

  it('should not drop batches in flight when over maxBytes', () => {
    const drops: number[] = [];
    const b = openBuffer({ maxBytes: 1, onDrop: (n) => drops.push(n) });
    put(b, batch(1, 2), null);
    const inFlight = b.take(10);
    put(b, batch(2, 2), null);
    put(b, batch(3, 2), null);
    expect(drops).toEqual([2]);
    expect(seqs(inFlight?.metrics ?? [])).toEqual(seqs(batch(1, 2)));
    expect(seqs(b.take(10)?.metrics ?? [])).toEqual(seqs(batch(3, 2)));
  });

  it('should report full in block mode once maxBytes is reached, and not before', () => {
    const b = openBuffer({ whenFull: 'block', maxBytes: 2000 });
    expect(b.isFull()).toBe(false);
    while (!b.isFull()) put(b, batch(b.length, 10), null);
    expect(b.bytes).toBeGreaterThanOrEqual(2000);
    const t = b.take(10);
    if (t === null) throw new Error('expected a batch');
    b.ack(t);
    expect(b.isFull()).toBe(false);
  });

  it('should keep everything when abandoned or handed over, for the next open of its directory', async () => {
    let b = openBuffer();
    let delivered: boolean | null = null;
    put(b, batch(1, 3), new Delivery((ok) => (delivered = ok)));
    put(b, batch(2, 2), null);
    const taken = b.take(3);
    expect(delivered).toBe(true);
    // Released once durable: nothing left to hold across a partial retry.
    expect(b.deliveriesOf(taken as NonNullable<typeof taken>)).toEqual([]);
    expect(b.handOver()).toEqual([]);
    expect(b.abandon('shutdown')).toBe(0);
    expect(b.length).toBe(5);
    b = await reopen(b);
    expect(drain(b)).toEqual([1, 2].flatMap((i) => seqs(batch(i, i === 1 ? 3 : 2))));
  });

  it('should keep nothing and release the delivery for an empty batch', () => {
    const b = openBuffer();
    let delivered: boolean | null = null;
    put(b, [], new Delivery((ok) => (delivered = ok)));
    expect(delivered).toBe(true);
    expect(b.length).toBe(0);
    expect(segments().every((f) => statSync(join(dir, f)).size === 0)).toBe(true);
  });

  for (const fsync of ['always', 'interval', 'never'] as const) {
    it(`should release the delivery once durable and survive a restart with fsync ${fsync}`, async () => {
      let b = openBuffer({ fsync, fsyncIntervalMs: 5 });
      const delivered: boolean[] = [];
      const adds: (void | Promise<void>)[] = [];
      for (let i = 0; i < 20; i++) adds.push(b.add(batch(i, 5), new Delivery((ok) => delivered.push(ok))));
      if (fsync === 'always') expect(adds.every((a) => a instanceof Promise)).toBe(true);
      await Promise.all(adds);
      expect(delivered).toEqual(new Array(20).fill(true));
      await new Promise((r) => setTimeout(r, 20));
      b = await reopen(b, { fsync });
      expect(drain(b, 17)).toEqual(Array.from({ length: 20 }, (_, i) => seqs(batch(i, 5))).flat());
    });
  }

  it('should make concurrent appends durable across segment rollovers with fsync always', async () => {
    let b = openBuffer({ fsync: 'always', segmentBytes: 1024 });
    await Promise.all(Array.from({ length: 50 }, (_, i) => b.add(batch(i, 4), null)));
    b = await reopen(b);
    expect(b.length).toBe(200);
  });

  it('should refuse a second open of the same directory until the first is closed', async () => {
    const b = openBuffer();
    expect(() => DiskBuffer.open({ dir })).toThrow(
      expect.objectContaining({ code: ErrorCode.CONFIG_INVALID }),
    );
    await b.close();
    openBuffer();
  });

  it('should reject invalid options with a config error and leave the directory usable', () => {
    const bad = [{ segmentBytes: 0 }, { maxBytes: -1 }, { fsync: 'sometimes' }, { whenFull: 'wait' }];
    for (const opts of bad) {
      expect(() => DiskBuffer.open({ dir, ...(opts as Partial<DiskBufferOptions>) })).toThrow(
        expect.objectContaining({ code: ErrorCode.CONFIG_INVALID }),
      );
    }
    openBuffer();
  });

  it('should refuse work once closed', async () => {
    const b = openBuffer();
    await b.close();
    expect(() => put(b, batch(1, 1), null)).toThrow(/closed/);
  });
});
