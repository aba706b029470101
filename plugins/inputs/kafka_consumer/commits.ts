/**
 * In-order commits for at-least-once consumption. Batches are acknowledged by the pipeline in any
 * order, but a partition's offset may only move past a message once every earlier message of that
 * partition is delivered: each partition keeps its batches in arrival order, and commits the
 * highest offset of the contiguous acknowledged prefix.
 */

/** One partition's share of a batch: whether it is acknowledged, and how to commit up to it. */
interface Share {
  acked: boolean;
  commit: () => void;
  queue: Share[];
}

/** The partitions' shares of one pushed batch. */
export class TrackedBatch {
  readonly shares: Share[] = [];
  /** Messages in the batch (for max_undelivered_messages). */
  messages = 0;
}

/** Per-partition FIFOs of batch shares. */
export class CommitTracker {
  private readonly partitions = new Map<string, Share[]>();

  /** Starts a batch; add each partition's last message with `add`, then push it. */
  begin(): TrackedBatch {
    return new TrackedBatch();
  }

  /**
   * Records that `batch` holds messages of `partition` up to the one `commit` commits. Call once per
   * partition per batch, with the highest offset of that partition in the batch.
   */
  add(batch: TrackedBatch, partition: string, commit: () => void): void {
    let queue = this.partitions.get(partition);
    if (queue === undefined) this.partitions.set(partition, (queue = []));
    const share: Share = { acked: false, commit, queue };
    queue.push(share);
    batch.shares.push(share);
  }

  /** Marks a batch delivered and commits every partition whose delivered prefix grew. */
  ack(batch: TrackedBatch): void {
    for (const share of batch.shares) share.acked = true;
    for (const share of batch.shares) {
      const queue = share.queue;
      let last: Share | undefined;
      while (queue.length > 0 && queue[0].acked) last = queue.shift();
      last?.commit();
    }
  }

  /** Forgets every pending share (after a rebalance the group re-reads from the committed offsets). */
  reset(): void {
    for (const queue of this.partitions.values()) queue.length = 0;
    this.partitions.clear();
  }

  /** Shares waiting for an acknowledgement, over all partitions. */
  get pending(): number {
    let n = 0;
    for (const q of this.partitions.values()) n += q.length;
    return n;
  }
}
