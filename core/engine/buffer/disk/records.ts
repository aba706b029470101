/**
 * The pending records of a DiskQueue, oldest first: those not yet taken, those taken (in flight)
 * and those acknowledged out of order (kept until every older record is acknowledged too, since
 * the persisted read position can only point at the oldest unacknowledged record).
 */

export const READY = 0;
export const TAKEN = 1;
export const DONE = 2;
export type RecordState = typeof READY | typeof TAKEN | typeof DONE;

/** One record of the log, as take() hands it out. */
export class QueueRecord {
  /** Position in append order; consecutive within a RecordList. */
  readonly seq: number;
  readonly segment: number;
  /** Where the frame starts in the segment file. */
  readonly offset: number;
  /** Frame header included. */
  readonly size: number;
  /** Metrics in the record. */
  readonly count: number;
  state: RecordState = READY;

  constructor(seq: number, segment: number, offset: number, size: number, count: number) {
    this.seq = seq;
    this.segment = segment;
    this.offset = offset;
    this.size = size;
    this.count = count;
  }
}

const COMPACT_AT = 1024;

export class RecordList {
  private items: QueueRecord[] = [];
  private head = 0;
  /** No READY record sits before this index. */
  private cursor = 0;
  private nextSeq = 0;
  /** Records not DONE. */
  pending = 0;

  push(segment: number, offset: number, size: number, count: number): QueueRecord {
    const r = new QueueRecord(this.nextSeq++, segment, offset, size, count);
    this.items.push(r);
    this.pending++;
    return r;
  }

  /** READY records oldest first, marked TAKEN: whole records up to maxCount metrics, at least one. */
  take(maxCount: number): QueueRecord[] {
    const out: QueueRecord[] = [];
    let total = 0;
    let i = Math.max(this.cursor, this.head);
    for (; i < this.items.length; i++) {
      const r = this.items[i];
      if (r.state !== READY) continue;
      if (out.length > 0 && total + r.count > maxCount) break;
      r.state = TAKEN;
      out.push(r);
      total += r.count;
      if (total >= maxCount) {
        i++;
        break;
      }
    }
    this.cursor = i;
    return out;
  }

  /** The oldest READY record, or null. */
  oldestReady(): QueueRecord | null {
    for (let i = Math.max(this.cursor, this.head); i < this.items.length; i++) {
      if (this.items[i].state === READY) {
        this.cursor = i;
        return this.items[i];
      }
    }
    this.cursor = this.items.length;
    return null;
  }

  /** TAKEN back to READY. */
  release(r: QueueRecord): void {
    r.state = READY;
    this.cursor = Math.min(this.cursor, this.indexOf(r));
  }

  finish(r: QueueRecord): void {
    r.state = DONE;
    this.pending--;
  }

  /** True when `r` is a live record of this list. */
  owns(r: QueueRecord): boolean {
    if (this.head >= this.items.length) return false;
    return this.items[this.indexOf(r)] === r;
  }

  isLast(r: QueueRecord): boolean {
    return this.items.length > this.head && this.items[this.items.length - 1] === r;
  }

  /** The oldest record not popped yet (call popDone first for the oldest pending one). */
  front(): QueueRecord | null {
    return this.head < this.items.length ? this.items[this.head] : null;
  }

  /** Pops DONE records off the front; true when any was popped. */
  popDone(): boolean {
    const start = this.head;
    while (this.head < this.items.length && this.items[this.head].state === DONE) this.head++;
    if (this.head > COMPACT_AT && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.cursor = Math.max(0, this.cursor - this.head);
      this.head = 0;
      return true;
    }
    return this.head !== start;
  }

  private indexOf(r: QueueRecord): number {
    const i = this.head + (r.seq - this.items[this.head].seq);
    return i >= this.head && i < this.items.length ? i : -1;
  }
}
