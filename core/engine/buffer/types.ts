/**
 * The buffer in front of every output: memory (bounded in events and bytes) or disk (segment
 * write-ahead log). The running output adds what arrives, takes batches to write, and acks or
 * nacks them. Drops (when_full = drop_oldest, byte bound, corruption) are reported through onDrop,
 * never silent.
 *
 * Ownership: the array passed to add() (and the metrics in it) may be held by other stages at the
 * same time; the fan-out hands one batch to every unfiltered output. A buffer owns or copies what
 * it is given and never mutates the caller's array: it drops by moving past metrics or by
 * building a new array, never by trimming in place (splice, length, pop). Likewise the metrics of
 * a taken batch are only read by the output writing them.
 */
import type { Metric } from '../../model/metric/metric.ts';
import type { Delivery } from '../pipeline/delivery.ts';

export type WhenFull = 'drop_oldest' | 'block';

/**
 * A batch handed out by take(): it stays owned by the buffer until ack() or nack(). Its array may
 * be the one add() was given (shared with other outputs): read it, never modify it.
 */
export interface BufferBatch {
  readonly metrics: Metric[];
}

/** Called for every drop with how many metrics and why ("buffer_full", "corrupt", ...). */
export type DropHandler = (count: number, reason: string) => void;

/** Buffered metrics handed from one buffer to its successor, with the delivery they still owe. */
export interface HandedOver {
  metrics: Metric[];
  delivery: Delivery | null;
}

export interface OutputBuffer {
  readonly kind: 'memory' | 'disk';
  /**
   * Adds a batch without taking the array from the caller: other holders may keep reading it, so
   * the buffer never modifies it (see the ownership note above). The buffer releases `delivery` once the batch is durably held (disk) or once it
   * is written or dropped (memory). In block mode the caller checks isFull() first.
   */
  add(metrics: Metric[], delivery: Delivery | null): void | Promise<void>;
  /** Up to `max` of the oldest metrics not yet taken, or null when empty. */
  take(max: number): BufferBatch | null | Promise<BufferBatch | null>;
  /** The batch was written (or dropped for good): remove it for ever. */
  ack(batch: BufferBatch): void | Promise<void>;
  /** The write failed: the batch goes back to the front, to be taken again. */
  nack(batch: BufferBatch): void;
  /**
   * The deliveries a taken batch still owes its sources, so that the part of a partial write to
   * be retried keeps them unacknowledged across ack(). Empty for a buffer that released them when
   * it made the batch durable (disk).
   */
  deliveriesOf(batch: BufferBatch): Delivery[];
  /**
   * Removes and returns what a successor must take over (live reload of the output). Empty for a
   * buffer whose successor reopens the same storage after close() (disk).
   */
  handOver(): HandedOver[];
  /**
   * Shutdown gave up on what is still held: returns how many metrics are lost. A memory buffer
   * drops them (reported through its drop handler with `reason`, deliveries released as failed);
   * a disk buffer keeps them for the next start and returns 0.
   */
  abandon(reason: string): number;
  /** Metrics held (taken batches included). */
  readonly length: number;
  /** Approximate bytes held. */
  readonly bytes: number;
  /** True when a block-mode buffer cannot take more. */
  isFull(): boolean;
  /** Persists what must persist and releases resources. */
  close(): Promise<void>;
}
