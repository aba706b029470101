/**
 * DiskBuffer: the OutputBuffer backed by a DiskQueue. A batch added is one record (the binary
 * batch encoding); its Delivery is released once the record is durable per the fsync policy, as
 * durably buffered counts as delivered upstream. What was taken but not acknowledged when the
 * process stops comes back, in order, after a restart.
 */
import { decodeBatch, encodeBatch, encodable } from '../../../format/binary/codec.ts';
import type { Metric } from '../../../model/metric/metric.ts';
import type { Delivery } from '../../pipeline/delivery.ts';
import type { BufferBatch, HandedOver, OutputBuffer } from '../types.ts';
import { DiskQueue } from './queue.ts';
import type { DiskQueueOptions } from './queue.ts';
import type { QueueRecord } from './records.ts';
import type { RecoveryInfo } from './scan.ts';

/** Options of a disk buffer: those of its queue. */
export type DiskBufferOptions = DiskQueueOptions;

/** A batch handed out by DiskBuffer.take(): its metrics and the records they came from. */
class DiskBatch implements BufferBatch {
  readonly metrics: Metric[];
  readonly records: QueueRecord[];
  readonly owner: DiskBuffer;

  constructor(metrics: Metric[], records: QueueRecord[], owner: DiskBuffer) {
    this.metrics = metrics;
    this.records = records;
    this.owner = owner;
  }
}

export class DiskBuffer implements OutputBuffer {
  readonly kind = 'disk';
  private readonly queue: DiskQueue;
  private readonly onDrop: DiskBufferOptions['onDrop'];

  private constructor(queue: DiskQueue, onDrop: DiskBufferOptions['onDrop']) {
    this.queue = queue;
    this.onDrop = onDrop;
  }

  /** Opens the buffer in `opts.dir`, recovering what a previous run left pending. */
  static open(opts: DiskBufferOptions): DiskBuffer {
    return new DiskBuffer(DiskQueue.open(opts), opts.onDrop);
  }

  /** What recovery found on open (pending records, corruption, a torn tail). */
  get recovery(): RecoveryInfo {
    return this.queue.recovery;
  }

  get length(): number {
    return this.queue.length;
  }

  get bytes(): number {
    return this.queue.bytes;
  }

  isFull(): boolean {
    return this.queue.isFull();
  }

  add(batch: Metric[], delivery: Delivery | null): void | Promise<void> {
    // A metric without a name or fields cannot be encoded and no output could write it: drop it, counted.
    const metrics = batch.every(encodable) ? batch : batch.filter(encodable);
    if (metrics.length < batch.length) this.onDrop?.(batch.length - metrics.length, 'malformed');
    if (metrics.length === 0) {
      delivery?.release(true);
      return;
    }
    let durable: void | Promise<void>;
    try {
      durable = this.queue.append(encodeBatch(metrics), metrics.length);
    } catch (err) {
      delivery?.release(false);
      throw err;
    }
    if (durable === undefined) {
      delivery?.release(true);
      return;
    }
    return durable.then(
      () => delivery?.release(true),
      (err: unknown) => {
        delivery?.release(false);
        throw err;
      },
    );
  }

  take(max: number): BufferBatch | null {
    for (;;) {
      const records = this.queue.take(max);
      if (records.length === 0) return null;
      const parts: Metric[][] = [];
      const kept: QueueRecord[] = [];
      for (const r of records) {
        const metrics = this.decode(r);
        if (metrics === null) continue;
        parts.push(metrics);
        kept.push(r);
      }
      // Every record taken was corrupt (and dropped with a count): try the next ones.
      if (kept.length === 0) continue;
      return new DiskBatch(parts.length === 1 ? parts[0] : parts.flat(), kept, this);
    }
  }

  ack(batch: BufferBatch): void {
    if (batch instanceof DiskBatch && batch.owner === this) this.queue.ack(batch.records);
  }

  nack(batch: BufferBatch): void {
    if (batch instanceof DiskBatch && batch.owner === this) this.queue.nack(batch.records);
  }

  /** None: every delivery was released once its batch was durable (see add()). */
  deliveriesOf(_batch: BufferBatch): Delivery[] {
    return [];
  }

  /** Nothing: the successor reopens the same directory and replays it. */
  handOver(): HandedOver[] {
    return [];
  }

  /** Keeps everything for the next start: nothing is lost. */
  abandon(_reason: string): number {
    return 0;
  }

  close(): Promise<void> {
    return this.queue.close();
  }

  private decode(r: QueueRecord): Metric[] | null {
    const payload = this.queue.read(r);
    if (payload === null) return null;
    try {
      return decodeBatch(payload);
    } catch {
      // Behind a valid checksum this means a writer bug or a foreign file; drop it, counted.
      this.queue.discard([r], 'corrupt');
      return null;
    }
  }
}
