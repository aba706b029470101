/**
 * Delivery tracking for acknowledgeable sources (Kafka offsets, MQTT QoS 1, HTTP with acks).
 * A batch's Delivery is retained once per holder (each output, each split of the batch) and
 * released when that holder has delivered or durably buffered its part. When the count reaches
 * zero the source's callback fires once: delivered=true unless any holder released with false.
 */
import type { AckCallback } from '../../plugin/types.ts';

export class Delivery {
  private pending = 1;
  private ok = true;
  private readonly done: AckCallback;

  constructor(done: AckCallback) {
    this.done = done;
  }

  /** Another holder takes a share. */
  retain(n = 1): void {
    this.pending += n;
  }

  /** A holder is finished with its share; delivered=false marks the batch as lost. */
  release(delivered = true): void {
    if (!delivered) this.ok = false;
    if (--this.pending === 0) this.done(this.ok);
  }

  /** True once every share was released. */
  get settled(): boolean {
    return this.pending <= 0;
  }
}
