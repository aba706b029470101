import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { outputCommonSchema } from '../../config/schema.ts';
import { WriteError } from '../../model/errors/errors.ts';
import { Metric } from '../../model/metric/metric.ts';
import { DiskBuffer } from '../buffer/disk/buffer.ts';
import { batch as diskBatch, seqs as diskSeqs, tempDir } from '../buffer/disk/testing.ts';
import { Delivery } from '../pipeline/delivery.ts';
import type { OutputInstance } from '../../plugin/types.ts';
import { Telemetry } from '../telemetry/telemetry.ts';
import { RunningOutput } from './output.ts';
import { OutputStats } from './stats.ts';

const id = { kind: 'output' as const, name: 'mock', alias: undefined, label: 'outputs.mock' };
const metrics = (n: number, from = 0): Metric[] =>
  Array.from({ length: n }, (_, i) => {
    const m = new Metric('m', {}, {}, 0);
    m.setInt('seq', from + i);
    return m;
  });
const seqs = (ms: Metric[]): number[] => ms.map((m) => m.fields.seq as number);

function running(
  instance: OutputInstance,
  common: Record<string, unknown> = {},
  batchSize = 10,
  bufferLimit = 100,
) {
  const telemetry = new Telemetry('test');
  const out = new RunningOutput({
    id,
    common: outputCommonSchema.parse({ retry_initial_backoff: '10ms', retry_max_backoff: '50ms', ...common }),
    batchSize,
    bufferLimit,
    flushIntervalMs: 20,
    flushJitterMs: 0,
    instance,
    log: pino({ level: 'silent' }),
    stats: new OutputStats(telemetry, id),
  });
  return { out, telemetry };
}

const until = async (cond: () => boolean, ms = 3000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('RunningOutput', () => {
  it('should write in batches of metric_batch_size, in order', async () => {
    const writes: number[][] = [];
    const { out } = running({ write: async (b) => void writes.push(seqs(b)) }, {}, 4);
    await out.start();
    out.add(metrics(10), null, performance.now());
    await until(() => writes.flat().length === 10);
    expect(writes.map((w) => w.length)).toEqual([4, 4, 2]);
    expect(writes.flat()).toEqual([...Array(10).keys()]);
    await out.stop(1000);
  });

  it('should retry a failing write with backoff and deliver each metric exactly once', async () => {
    let fails = 3;
    const got: number[] = [];
    const { out, telemetry } = running({
      write: async (b) => {
        if (fails-- > 0) throw WriteError.retryable('HTTP 503');
        got.push(...seqs(b));
      },
    });
    await out.start();
    out.add(metrics(25), null, performance.now());
    await until(() => got.length === 25);
    expect(got).toEqual([...Array(25).keys()]);
    const text = await telemetry.text();
    expect(text).toMatch(/viva_output_retries_total\{[^}]*plugin="mock"[^}]*\} 3/);
    expect(text).toMatch(/viva_output_written_total\{[^}]*\} 25/);
    await out.stop(1000);
  });

  it('should wait at least the Retry-After the destination asked for', async () => {
    const times: number[] = [];
    let first = true;
    const { out } = running(
      {
        write: async () => {
          times.push(performance.now());
          if (first) {
            first = false;
            throw WriteError.retryable('HTTP 429', { retryAfterMs: 300 });
          }
        },
      },
      { retry_max_backoff: '1s' },
    );
    await out.start();
    out.add(metrics(1), null, performance.now());
    await until(() => times.length === 2);
    expect(times[1] - times[0]).toBeGreaterThanOrEqual(290);
    await out.stop(1000);
  });

  it('should drop a permanently rejected batch with a counted reason and go on', async () => {
    let calls = 0;
    const got: number[] = [];
    const { out, telemetry } = running({
      write: async (b) => {
        if (calls++ === 0) throw WriteError.permanent('HTTP 400: bad data');
        got.push(...seqs(b));
      },
    });
    await out.start();
    out.add(metrics(10), null, performance.now());
    out.add(metrics(5, 10), null, performance.now());
    await until(() => got.length === 5);
    expect(got).toEqual([10, 11, 12, 13, 14]);
    expect(await telemetry.text()).toMatch(/viva_output_dropped_total\{[^}]*reason="rejected"[^}]*\} 10/);
    await out.stop(1000);
  });

  it('should keep what a partial write accepted, drop the rejected and retry the rest', async () => {
    const got: number[] = [];
    let calls = 0;
    const { out, telemetry } = running({
      write: async (b) => {
        if (calls++ === 0) {
          got.push(...seqs(b).filter((s) => s !== 1 && s !== 2));
          throw WriteError.partial('partial', { rejected: [{ index: 1, reason: 'bad field' }], retry: [2] });
        }
        got.push(...seqs(b));
      },
    });
    await out.start();
    out.add(metrics(4), null, performance.now());
    await until(() => got.length === 3);
    expect(got.sort()).toEqual([0, 2, 3]);
    const text = await telemetry.text();
    expect(text).toMatch(/viva_output_dropped_total\{[^}]*reason="rejected"[^}]*\} 1/);
    expect(text).toMatch(/viva_output_written_total\{[^}]*\} 3/);
    await out.stop(1000);
  });

  it('should keep the source unacknowledged until the retried part of a partial write is delivered', async () => {
    let calls = 0;
    const { out } = running({
      write: async () => {
        calls++;
        if (calls === 1) throw WriteError.partial('partial', { retry: [1] });
        if (calls === 2) throw WriteError.retryable('still down');
      },
    });
    await out.start();
    let acked: boolean | undefined;
    const d = new Delivery((ok) => (acked = ok));
    d.retain();
    out.add(metrics(3), d, performance.now());
    d.release();
    await until(() => calls >= 2);
    expect(acked).toBeUndefined();
    await until(() => acked !== undefined);
    expect(acked).toBe(true);
    expect(calls).toBe(3);
    await out.stop(1000);
  });

  it('should drop the oldest metrics when the buffer is full and count them', async () => {
    let open = false;
    const got: number[] = [];
    const { out, telemetry } = running(
      {
        write: async (b) => {
          if (!open) throw WriteError.retryable('down');
          got.push(...seqs(b));
        },
      },
      {},
      10,
      20,
    );
    await out.start();
    for (let i = 0; i < 5; i++) out.add(metrics(10, i * 10), null, performance.now());
    expect(out.buffer.length).toBeLessThanOrEqual(20);
    open = true;
    await until(() => out.buffer.length === 0);
    expect(got.slice(-10)).toEqual([40, 41, 42, 43, 44, 45, 46, 47, 48, 49]);
    expect(await telemetry.text()).toMatch(/viva_output_dropped_total\{[^}]*reason="buffer_full"[^}]*\} 30/);
    await out.stop(1000);
  });

  it('should release a delivery only after its metrics are written', async () => {
    let open = false;
    const { out } = running({
      write: async () => {
        if (!open) throw WriteError.retryable('down');
      },
    });
    await out.start();
    let acked: boolean | undefined;
    const d = new Delivery((ok) => (acked = ok));
    d.retain();
    out.add(metrics(3), d, performance.now());
    d.release();
    await new Promise((r) => setTimeout(r, 60));
    expect(acked).toBeUndefined();
    open = true;
    await until(() => acked !== undefined);
    expect(acked).toBe(true);
    await out.stop(1000);
  });

  it('should flush everything buffered on stop', async () => {
    const got: number[] = [];
    const { out } = running({ write: async (b) => void got.push(...seqs(b)) }, {}, 1000);
    await out.start();
    out.add(metrics(7), null, performance.now());
    await out.stop(1000);
    expect(got).toEqual([...Array(7).keys()]);
  });

  it('should report block mode as full so sources can push back', async () => {
    const { out } = running(
      { write: async () => Promise.reject(WriteError.retryable('down')) },
      { when_full: 'block' },
      10,
      20,
    );
    await out.start();
    out.add(metrics(15), null, performance.now());
    expect(out.full).toBe(false);
    out.add(metrics(10), null, performance.now());
    expect(out.full).toBe(true);
    expect(out.buffer.length).toBe(25);
    await out.stop(50);
  });

  it('should hold no more than its limit plus one batch in block mode when a source pushes anyway', async () => {
    const { out, telemetry } = running(
      { write: async () => Promise.reject(WriteError.retryable('down')) },
      { when_full: 'block' },
      10,
      20,
    );
    await out.start();
    let lost = 0;
    for (let i = 0; i < 10; i++) {
      const d = new Delivery((ok) => void (ok ? undefined : lost++));
      out.add(metrics(15, i * 15), d, performance.now());
    }
    expect(out.buffer.length).toBe(30);
    // What could not be taken is counted, and its source told it was not delivered.
    expect(lost).toBe(8);
    expect(await telemetry.text()).toMatch(/viva_output_dropped_total\{[^}]*reason="buffer_full"[^}]*\} 120/);
    await out.stop(50);
  });
});

describe('RunningOutput shutdown', () => {
  it('should log VIVA_ERR_SHUTDOWN_TIMEOUT when the deadline passes before the buffer is flushed', async () => {
    const lines: Record<string, unknown>[] = [];
    const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
    const telemetry = new Telemetry('test');
    const out = new RunningOutput({
      id,
      common: outputCommonSchema.parse({}),
      batchSize: 10,
      bufferLimit: 100,
      flushIntervalMs: 60_000,
      flushJitterMs: 0,
      // A destination that never answers.
      instance: { write: () => new Promise<void>(() => undefined) },
      log,
      stats: new OutputStats(telemetry, id),
    });
    out.add(metrics(3), null, performance.now());
    await out.stop(50);
    const overran = lines.find((l) => l.code === 'VIVA_ERR_SHUTDOWN_TIMEOUT');
    expect(overran).toMatchObject({ count: 3, level: 50 });
  });

  it('should keep what a disk buffer holds at the deadline for the next start, and say so', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const lines: Record<string, unknown>[] = [];
      const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
      const telemetry = new Telemetry('test');
      const out = new RunningOutput({
        id,
        common: outputCommonSchema.parse({ buffer_strategy: 'disk' }),
        batchSize: 10,
        bufferLimit: 100,
        flushIntervalMs: 60_000,
        flushJitterMs: 0,
        instance: { write: () => new Promise<void>(() => undefined) },
        log,
        stats: new OutputStats(telemetry, id),
        buffer: DiskBuffer.open({ dir, fsync: 'never' }),
      });
      out.add(diskBatch(1, 3), null, performance.now());
      await out.stop(50);
      expect(lines.find((l) => l.code === 'VIVA_ERR_SHUTDOWN_TIMEOUT')).toMatchObject({
        count: 3,
        level: 40,
      });
      expect(await telemetry.text()).not.toMatch(/viva_output_dropped_total\{[^}]*reason="shutdown"/);
      const again = DiskBuffer.open({ dir, fsync: 'never' });
      const t = again.take(10);
      expect(diskSeqs(t?.metrics ?? [])).toEqual(diskSeqs(diskBatch(1, 3)));
      await again.close();
    } finally {
      cleanup();
    }
  });
});

describe('RunningOutput with a disk buffer', () => {
  it('should retry the rest of a partial write through the disk buffer', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const got: number[] = [];
      let calls = 0;
      const telemetry = new Telemetry('test');
      const out = new RunningOutput({
        id,
        common: outputCommonSchema.parse({ retry_initial_backoff: '10ms', retry_max_backoff: '50ms' }),
        batchSize: 10,
        bufferLimit: 100,
        flushIntervalMs: 20,
        flushJitterMs: 0,
        instance: {
          write: async (b) => {
            if (calls++ === 0) {
              got.push(...diskSeqs(b).filter((_, i) => i !== 1));
              throw WriteError.partial('partial', { retry: [1] });
            }
            got.push(...diskSeqs(b));
          },
        },
        log: pino({ level: 'silent' }),
        stats: new OutputStats(telemetry, id),
        buffer: DiskBuffer.open({ dir, fsync: 'never' }),
      });
      await out.start();
      let acked: boolean | undefined;
      out.add(diskBatch(2, 3), new Delivery((ok) => (acked = ok)), performance.now());
      await until(() => got.length === 3);
      expect(got.sort()).toEqual(diskSeqs(diskBatch(2, 3)).sort());
      // Durably buffered counts as delivered upstream.
      expect(acked).toBe(true);
      await out.stop(1000);
      expect(out.buffer.length).toBe(0);
    } finally {
      cleanup();
    }
  });

  it('should hand over nothing on reload: the successor reopens the same directory', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const telemetry = new Telemetry('test');
      const out = new RunningOutput({
        id,
        common: outputCommonSchema.parse({}),
        batchSize: 10,
        bufferLimit: 100,
        flushIntervalMs: 60_000,
        flushJitterMs: 0,
        instance: { write: () => Promise.reject(new Error('down')) },
        log: pino({ level: 'silent' }),
        stats: new OutputStats(telemetry, id),
        buffer: DiskBuffer.open({ dir, fsync: 'never' }),
      });
      out.add(diskBatch(3, 4), null, performance.now());
      expect(await out.detach()).toEqual([]);
      const again = DiskBuffer.open({ dir, fsync: 'never' });
      expect(again.length).toBe(4);
      await again.close();
    } finally {
      cleanup();
    }
  });
});

/**
 * An output taking `max` writes at once whose writes complete when the test says (`finish`), or
 * fail with `fail`; records every write's seqs in call order.
 */
function concurrentOutput(max: number) {
  const calls: { seqs: number[]; settle: (err?: Error) => void }[] = [];
  const instance: OutputInstance = {
    maxConcurrentWrites: max,
    write: (b) =>
      new Promise<void>((resolve, reject) => {
        calls.push({ seqs: seqs(b), settle: (err) => (err === undefined ? resolve() : reject(err)) });
      }),
  };
  let done = 0;
  const inFlight = (): number => calls.length - done;
  const settle = (i: number, err?: Error): void => {
    done++;
    calls[i].settle(err);
  };
  return { instance, calls, inFlight, settle };
}

describe('RunningOutput with concurrent writes (maxConcurrentWrites)', () => {
  it('should write the next batches while the first awaits its answer, in order, up to maxConcurrentWrites', async () => {
    const o = concurrentOutput(3);
    const { out } = running(o.instance, {}, 2, 100);
    await out.start();
    const acked: boolean[] = [];
    out.add(metrics(10), new Delivery((ok) => acked.push(ok)), performance.now());
    await until(() => o.calls.length === 3);
    expect(o.calls.map((c) => c.seqs)).toEqual([
      [0, 1],
      [2, 3],
      [4, 5],
    ]);
    // Answered out of order: nothing leaves the buffer before the oldest batch is answered.
    o.settle(2);
    o.settle(1);
    await until(() => o.calls.length === 5);
    expect(o.calls.slice(3).map((c) => c.seqs)).toEqual([
      [6, 7],
      [8, 9],
    ]);
    expect(out.buffer.length).toBe(10);
    o.settle(0);
    await until(() => out.buffer.length === 4);
    expect(acked).toEqual([]);
    o.settle(3);
    o.settle(4);
    await until(() => out.buffer.length === 0);
    expect(o.calls.map((c) => c.seqs).flat()).toEqual([...Array(10).keys()]);
    expect(acked).toEqual([true]);
    await out.stop(1000);
  });

  it('should retry a failed batch among concurrent ones and deliver every metric, the source acked once', async () => {
    const o = concurrentOutput(2);
    const { out, telemetry } = running(o.instance, {}, 2, 100);
    await out.start();
    const acked: boolean[] = [];
    out.add(metrics(6), new Delivery((ok) => acked.push(ok)), performance.now());
    await until(() => o.calls.length === 2);
    o.settle(0, WriteError.retryable('HTTP 503'));
    o.settle(1);
    // The failed batch comes back first, whole, before the batch never taken.
    await until(() => o.calls.length === 4);
    expect(o.calls.slice(2).map((c) => c.seqs)).toEqual([
      [0, 1],
      [4, 5],
    ]);
    o.settle(3);
    o.settle(2);
    await until(() => out.buffer.length === 0);
    const written = o.calls.filter((_, i) => i !== 0).flatMap((c) => c.seqs);
    expect([...written].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(acked).toEqual([true]);
    expect(await telemetry.text()).toMatch(/viva_output_written_total\{[^}]*\} 6/);
    await out.stop(1000);
  });

  it('should write one batch at a time for an output that declares nothing', async () => {
    let flying = 0;
    let most = 0;
    const got: number[] = [];
    const { out } = running(
      {
        write: async (b) => {
          flying++;
          most = Math.max(most, flying);
          await new Promise((r) => setTimeout(r, 1));
          got.push(...seqs(b));
          flying--;
        },
      },
      {},
      2,
    );
    await out.start();
    out.add(metrics(10), null, performance.now());
    await until(() => got.length === 10);
    expect(most).toBe(1);
    await out.stop(1000);
  });

  it('should keep a disk buffer record answered after newer ones for the next start (at least once)', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const o = concurrentOutput(3);
      const telemetry = new Telemetry('test');
      const out = new RunningOutput({
        id,
        common: outputCommonSchema.parse({}),
        batchSize: 3,
        bufferLimit: 100,
        flushIntervalMs: 60_000,
        flushJitterMs: 0,
        instance: o.instance,
        log: pino({ level: 'silent' }),
        stats: new OutputStats(telemetry, id),
        buffer: DiskBuffer.open({ dir, fsync: 'never' }),
      });
      await out.start();
      for (let b = 1; b <= 3; b++) out.add(diskBatch(b, 3), null, performance.now());
      await until(() => o.calls.length === 3);
      o.settle(2);
      o.settle(1);
      await until(() => out.buffer.length === 3);
      await out.stop(50);
      // The read position stops at the oldest unanswered record: it comes back first, and the
      // newer ones answered meanwhile come back behind it (the viva output resends them under
      // the same batch ids, which the collector drops as duplicates).
      const again = DiskBuffer.open({ dir, fsync: 'never' });
      const back = diskSeqs(again.take(100)?.metrics ?? []);
      expect(back.slice(0, 3)).toEqual(diskSeqs(diskBatch(1, 3)));
      expect(back).toEqual([1, 2, 3].flatMap((b) => diskSeqs(diskBatch(b, 3))));
      await again.close();
    } finally {
      cleanup();
    }
  });
});
