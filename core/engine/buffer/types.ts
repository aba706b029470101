/**
 * The buffer in front of every output: memory (bounded in events and bytes) or disk (segment
 * write-ahead log). The running output adds what arrives, takes batches to write, and acks or
 * nacks them. Drops (when_full = drop_oldest, byte bound, corruption) are reported through onDrop,
 * never silent.
 */
import type { Metric } from '../../model/metric/metric.ts';
import type { Delivery } from '../pipeline/delivery.ts';

export type WhenFull = 'drop_oldest' | 'block';

/** A batch handed out by take(): it stays owned by the buffer until ack() or nack(). */
export interface BufferBatch {
  readonly metrics: Metric[];
}

/** Called for every drop with how many metrics and why ("buffer_full", "corrupt", ...). */
export type DropHandler = (count: number, reason: string) => void;

export interface OutputBuffer {
  readonly kind: 'memory' | 'disk';
  /**
   * Adds a batch. The buffer releases `delivery` once the batch is durably held (disk) or once it
   * is written or dropped (memory). In block mode the caller checks isFull() first.
   */
  add(metrics: Metric[], delivery: Delivery | null): void | Promise<void>;
  /** Up to `max` of the oldest metrics not yet taken, or null when empty. */
  take(max: number): BufferBatch | null | Promise<BufferBatch | null>;
  /** The batch was written (or dropped for good): remove it for ever. */
  ack(batch: BufferBatch): void | Promise<void>;
  /** The write failed: the batch goes back to the front, to be taken again. */
  nack(batch: BufferBatch): void;
  /** Metrics held (taken batches included). */
  readonly length: number;
  /** Approximate bytes held. */
  readonly bytes: number;
  /** True when a block-mode buffer cannot take more. */
  isFull(): boolean;
  /** Persists what must persist and releases resources. */
  close(): Promise<void>;
}
