import { describe, expect, it } from 'vitest';
import { Metric } from '../../model/metric/metric.ts';
import { Delivery } from '../pipeline/delivery.ts';
import { MemoryBuffer } from './memory.ts';

const batch = (n: number, from: number): Metric[] =>
  Array.from({ length: n }, (_, i) => new Metric('m', {}, { seq: from + i }, 0));
const seqs = (ms: Metric[]): number[] => ms.map((m) => m.fields.seq as number);

describe('MemoryBuffer', () => {
  it('should hand out batches across chunks in order and count what is left', () => {
    const drops: number[] = [];
    const b = new MemoryBuffer({
      limit: 100,
      maxBytes: 1e9,
      whenFull: 'drop_oldest',
      onDrop: (n) => drops.push(n),
    });
    b.add(batch(3, 0), null);
    b.add(batch(3, 3), null);
    b.add(batch(3, 6), null);
    const seen: number[] = [];
    for (;;) {
      const t = b.take(4);
      if (t === null) break;
      seen.push(...seqs(t.metrics));
      b.ack(t);
    }
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(b.length).toBe(0);
    expect(drops).toEqual([]);
  });

  it('should keep the unwritten rest of a partly written chunk for hand-over', () => {
    const b = new MemoryBuffer({
      limit: 100,
      maxBytes: 1e9,
      whenFull: 'drop_oldest',
      onDrop: () => undefined,
    });
    b.add(batch(2, 0), null);
    b.add(batch(4, 2), null);
    const t = b.take(3);
    b.ack(t as NonNullable<typeof t>);
    expect(b.handOver().map((c) => seqs(c.metrics))).toEqual([[3, 4, 5]]);
  });

  it('should drop the oldest unsent metrics when over its limit', () => {
    const drops: number[] = [];
    const b = new MemoryBuffer({
      limit: 4,
      maxBytes: 1e9,
      whenFull: 'drop_oldest',
      onDrop: (n) => drops.push(n),
    });
    b.add(batch(3, 0), null);
    const t = b.take(2);
    b.ack(t as NonNullable<typeof t>);
    b.add(batch(4, 3), null);
    expect(drops).toEqual([1]);
    expect(seqs((b.take(10) as NonNullable<ReturnType<typeof b.take>>).metrics)).toEqual([3, 4, 5, 6]);
  });

  it('should drop what is left when abandoned, report the loss and fail the deliveries', () => {
    const drops: [number, string][] = [];
    const b = new MemoryBuffer({
      limit: 100,
      maxBytes: 1e9,
      whenFull: 'drop_oldest',
      onDrop: (n, reason) => drops.push([n, reason]),
    });
    const acked: boolean[] = [];
    b.add(batch(2, 0), new Delivery((ok) => acked.push(ok)));
    b.add(batch(3, 2), new Delivery((ok) => acked.push(ok)));
    b.take(4);
    expect(b.abandon('shutdown')).toBe(5);
    expect(drops).toEqual([[5, 'shutdown']]);
    expect(acked).toEqual([false, false]);
    expect(b.length).toBe(0);
    expect(b.take(10)).toBeNull();
  });

  it('should name the deliveries a taken batch still owes', () => {
    const b = new MemoryBuffer({
      limit: 100,
      maxBytes: 1e9,
      whenFull: 'drop_oldest',
      onDrop: () => undefined,
    });
    const first = new Delivery(() => undefined);
    const second = new Delivery(() => undefined);
    b.add(batch(2, 0), first);
    b.add(batch(2, 2), second);
    b.add(batch(2, 4), null);
    const t = b.take(3);
    expect(b.deliveriesOf(t as NonNullable<typeof t>)).toEqual([first, second]);
  });
});

describe('MemoryBuffer ownership of what it is given', () => {
  const buf = (limit: number, maxBytes = 1e9): MemoryBuffer =>
    new MemoryBuffer({ limit, maxBytes, whenFull: 'drop_oldest', onDrop: () => undefined });

  it('should never trim the array it was given when it drops the oldest', () => {
    const given = batch(6, 0);
    const b = buf(4);
    b.add(given, null);
    expect(seqs(given)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(seqs((b.take(10) as NonNullable<ReturnType<typeof b.take>>).metrics)).toEqual([2, 3, 4, 5]);
  });

  it('should keep a second buffer fed the same arrays whole while the first one overflows', () => {
    const a = buf(100);
    const other = buf(2000);
    const seen: number[] = [];
    for (let i = 0; i < 20; i++) {
      const shared = batch(60, i * 60);
      a.add(shared, null);
      other.add(shared, null);
      // A write is in flight in the first buffer while it drops behind it.
      const t = a.take(7);
      if (i % 2 === 0 && t !== null) a.ack(t);
      else if (t !== null) a.nack(t);
    }
    expect(other.length).toBe(1200);
    for (;;) {
      const t = other.take(500);
      if (t === null) break;
      seen.push(...seqs(t.metrics));
      other.ack(t);
    }
    expect(seen).toEqual(Array.from({ length: 1200 }, (_, i) => i));
    expect(other.length).toBe(0);
  });
});

describe('MemoryBuffer byte accounting', () => {
  const MiB = 1024 * 1024;
  /** One tiny metric, then metrics each carrying a 1 MiB string. */
  const tinyThenHuge = (huge: number, from: number): Metric[] => [
    new Metric('m', {}, { seq: from }, 0),
    ...Array.from(
      { length: huge },
      (_, i) => new Metric('m', {}, { seq: from + 1 + i, s: 'x'.repeat(MiB) }, 0),
    ),
  ];

  it('should count the bytes of every metric, not only of the first one of a batch', () => {
    const b = new MemoryBuffer({
      limit: 1000,
      maxBytes: 1024 * MiB,
      whenFull: 'drop_oldest',
      onDrop: () => undefined,
    });
    b.add(tinyThenHuge(28, 0), null);
    expect(b.bytes).toBeGreaterThanOrEqual(28 * MiB);
    const t = b.take(15) as NonNullable<ReturnType<typeof b.take>>;
    b.ack(t);
    expect(b.bytes).toBeGreaterThanOrEqual(14 * MiB);
    expect(b.bytes).toBeLessThan(15 * MiB);
  });

  it('should count a batch shared by two buffers alike, and each other batch by its own metrics', async () => {
    const buffer = (): MemoryBuffer =>
      new MemoryBuffer({ limit: 1000, maxBytes: 1024 * MiB, whenFull: 'block', onDrop: () => undefined });
    const [a, b] = [buffer(), buffer()];
    const shared = tinyThenHuge(3, 0);
    a.add(shared, null);
    b.add(shared, null);
    expect(b.bytes).toBe(a.bytes);
    expect(a.bytes).toBeGreaterThanOrEqual(3 * MiB);
    // Same length, other metrics, in the same task and after it: sized anew, not taken for the first.
    a.add(batch(4, 10), null);
    expect(a.bytes).toBeLessThan(b.bytes + MiB);
    await Promise.resolve();
    b.add(tinyThenHuge(3, 20), null);
    expect(b.bytes).toBeGreaterThanOrEqual(6 * MiB);
  });

  it('should drop the oldest until within buffer_max_bytes when batches carry big strings', () => {
    const drops: number[] = [];
    const b = new MemoryBuffer({
      limit: 1000,
      maxBytes: 8 * MiB,
      whenFull: 'drop_oldest',
      onDrop: (n) => drops.push(n),
    });
    for (let i = 0; i < 5; i++) b.add(tinyThenHuge(28, i * 29), null);
    expect(b.bytes).toBeLessThanOrEqual(8 * MiB);
    expect(b.length).toBe(7);
    expect(drops.reduce((a, n) => a + n, 0)).toBe(5 * 29 - 7);
    expect(seqs((b.take(100) as NonNullable<ReturnType<typeof b.take>>).metrics)).toEqual([
      138, 139, 140, 141, 142, 143, 144,
    ]);
  });

  it('should report full in block mode once the bytes reach buffer_max_bytes', () => {
    const b = new MemoryBuffer({
      limit: 1000,
      maxBytes: 8 * MiB,
      whenFull: 'block',
      onDrop: () => undefined,
    });
    b.add(tinyThenHuge(10, 0), null);
    expect(b.isFull()).toBe(true);
  });

  describe('with several batches in flight', () => {
    const buffer = (whenFull: 'drop_oldest' | 'block' = 'block', limit = 100) => {
      const drops: number[] = [];
      const b = new MemoryBuffer({ limit, maxBytes: 1e9, whenFull, onDrop: (n) => drops.push(n) });
      return { b, drops };
    };
    const take = (b: MemoryBuffer, n: number) => {
      const t = b.take(n);
      if (t === null) throw new Error('nothing to take');
      return t;
    };

    it('should hand out consecutive batches and remove them only once every older one is acknowledged', () => {
      const { b } = buffer();
      const acked: string[] = [];
      b.add(batch(2, 0), new Delivery((ok) => acked.push(`a:${ok}`)));
      b.add(batch(2, 2), new Delivery((ok) => acked.push(`b:${ok}`)));
      b.add(batch(2, 4), new Delivery((ok) => acked.push(`c:${ok}`)));
      const t1 = take(b, 2);
      const t2 = take(b, 2);
      const t3 = take(b, 2);
      expect([seqs(t1.metrics), seqs(t2.metrics), seqs(t3.metrics)]).toEqual([
        [0, 1],
        [2, 3],
        [4, 5],
      ]);
      expect(b.take(2)).toBeNull();
      b.ack(t3);
      b.ack(t2);
      expect(b.length).toBe(6);
      expect(acked).toEqual([]);
      b.ack(t1);
      expect(b.length).toBe(0);
      expect(acked).toEqual(['a:true', 'b:true', 'c:true']);
    });

    it('should hand a batch given back while a newer one is in flight out again, whole, before anything newer', () => {
      const { b } = buffer();
      b.add(batch(6, 0), null);
      const t1 = take(b, 2);
      const t2 = take(b, 2);
      b.nack(t1);
      const again = take(b, 5);
      expect(again).toBe(t1);
      expect(seqs(again.metrics)).toEqual([0, 1]);
      expect(seqs(take(b, 5).metrics)).toEqual([4, 5]);
      b.ack(t2);
      expect(b.length).toBe(6);
      b.ack(again);
      expect(b.length).toBe(2);
    });

    it('should untake the newest batches given back, so a later take covers them and more', () => {
      const { b } = buffer();
      b.add(batch(6, 0), null);
      const t1 = take(b, 2);
      const t2 = take(b, 2);
      b.nack(t2);
      b.ack(t1);
      expect(b.length).toBe(4);
      expect(seqs(take(b, 10).metrics)).toEqual([2, 3, 4, 5]);
    });

    it('should name the deliveries of a batch behind another in flight', () => {
      const { b } = buffer();
      const da = new Delivery(() => undefined);
      const db = new Delivery(() => undefined);
      b.add(batch(2, 0), da);
      b.add(batch(2, 2), db);
      take(b, 2);
      expect(b.deliveriesOf(take(b, 2))).toEqual([db]);
    });

    it('should drop the oldest metrics not in flight (drop_oldest), never one being written', () => {
      const { b, drops } = buffer('drop_oldest', 6);
      b.add(batch(6, 0), null);
      const t1 = take(b, 2);
      const t2 = take(b, 2);
      b.add(batch(2, 6), null);
      expect(drops).toEqual([2]);
      expect([seqs(t1.metrics), seqs(t2.metrics)]).toEqual([
        [0, 1],
        [2, 3],
      ]);
      b.ack(t1);
      b.ack(t2);
      expect(seqs(take(b, 10).metrics)).toEqual([6, 7]);
    });
  });
});
