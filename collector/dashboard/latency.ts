/**
 * End-to-end latency of delivered metrics: the metric's timestamp (set where it was collected, on
 * the agent's clock) to the moment a destination's output took it (the collector's clock). It is
 * what an operator asks ("how old is what reaches the database?"): it includes the agent's
 * collection interval and flush, the network, the spool and the write, and any clock skew between
 * agent and collector. Kept as a log-bucket histogram per second in a ring of a few seconds, so
 * memory is fixed and a quantile is a walk over about 100 buckets.
 */

/** Bucket i holds latencies up to BASE^i ms (about 10% wide); the last bucket holds the rest. */
const BASE = 1.1;
const BUCKETS = 200; // 1.1^199 ms is about 5 days: anything older lands in the last bucket
const LOG_BASE = Math.log(BASE);

/** Upper bound of bucket `i`, in ms. */
function upper(i: number): number {
  return BASE ** i;
}

function bucketOf(ms: number): number {
  if (ms <= 1) return 0;
  return Math.min(BUCKETS - 1, Math.ceil(Math.log(ms) / LOG_BASE));
}

/** A rolling histogram of the last `seconds` seconds. */
export class LatencyWindow {
  private readonly slots: Float64Array[];
  private readonly slotSecond: number[];
  private readonly seconds: number;

  constructor(seconds = 10) {
    this.seconds = seconds;
    this.slots = Array.from({ length: seconds }, () => new Float64Array(BUCKETS));
    this.slotSecond = new Array<number>(seconds).fill(-1);
  }

  private slot(nowMs: number): Float64Array {
    const sec = Math.floor(nowMs / 1000);
    const i = sec % this.seconds;
    if (this.slotSecond[i] !== sec) {
      this.slots[i].fill(0);
      this.slotSecond[i] = sec;
    }
    return this.slots[i];
  }

  /** Records `count` latencies of `ms` milliseconds (negative, from clock skew, count as 0). */
  record(ms: number, nowMs: number, count = 1): void {
    this.slot(nowMs)[bucketOf(ms)] += count;
  }

  /** Records every metric of a delivered batch: `nowMs` minus each metric's time. */
  recordBatch(metrics: readonly { timeMs: number }[], nowMs: number): void {
    const s = this.slot(nowMs);
    for (const m of metrics) s[bucketOf(nowMs - m.timeMs)]++;
  }

  /**
   * Quantiles (e.g. [0.5, 0.99]) over the window ending at `nowMs`, in ms (a bucket's upper
   * bound, so within 10%); null when nothing was delivered in the window.
   */
  quantiles(qs: readonly number[], nowMs: number): (number | null)[] {
    const sec = Math.floor(nowMs / 1000);
    const sum = new Float64Array(BUCKETS);
    let total = 0;
    for (let k = 0; k < this.seconds; k++) {
      const s = this.slotSecond[k];
      if (s < 0 || s > sec || sec - s >= this.seconds) continue;
      const slot = this.slots[k];
      for (let b = 0; b < BUCKETS; b++) {
        sum[b] += slot[b];
        total += slot[b];
      }
    }
    if (total === 0) return qs.map(() => null);
    return qs.map((q) => {
      const want = q * total;
      let seen = 0;
      for (let b = 0; b < BUCKETS; b++) {
        seen += sum[b];
        if (seen >= want && sum[b] > 0) return Math.round(upper(b) * 10) / 10;
      }
      return upper(BUCKETS - 1);
    });
  }
}
