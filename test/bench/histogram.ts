/**
 * A fixed-bucket log histogram (HDR-like): buckets grow by 2% from 1 µs to about 10 minutes, so
 * any quantile is within 1% of the true value, with no allocation per record.
 */
const MIN_MS = 0.001;
const GROWTH = 1.02;
const LOG_GROWTH = Math.log(GROWTH);
const BUCKETS = Math.ceil(Math.log(600_000 / MIN_MS) / LOG_GROWTH) + 1;

export class LogHistogram {
  private readonly counts = new Float64Array(BUCKETS);
  count = 0;
  max = 0;

  /** Records `n` values of `ms` milliseconds (negative clock skew counts as 0). */
  record(ms: number, n = 1): void {
    const i = ms <= MIN_MS ? 0 : Math.min(BUCKETS - 1, Math.ceil(Math.log(ms / MIN_MS) / LOG_GROWTH));
    this.counts[i] += n;
    this.count += n;
    if (ms > this.max) this.max = ms;
  }

  /** The value at quantile q (0..1), in ms: the upper bound of its bucket; NaN when empty. */
  quantile(q: number): number {
    if (this.count === 0) return NaN;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i];
      if (seen >= rank) return Math.min(this.max, MIN_MS * GROWTH ** i);
    }
    return this.max;
  }

  /** The non-empty buckets as [index, count] pairs, to send to another process. */
  buckets(): [number, number][] {
    const out: [number, number][] = [];
    for (let i = 0; i < BUCKETS; i++) if (this.counts[i] > 0) out.push([i, this.counts[i]]);
    return out;
  }

  /** Adds buckets made by buckets() of another histogram. */
  merge(pairs: [number, number][], max: number): void {
    for (const [i, n] of pairs) {
      if (!(i >= 0 && i < BUCKETS)) continue;
      this.counts[i] += n;
      this.count += n;
    }
    if (max > this.max) this.max = max;
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.max = 0;
  }
}

/**
 * A histogram of what was recorded between two bucket snapshots of one (cumulative) histogram,
 * e.g. a load generator's round trips over the measured window.
 */
export function histogramBetween(
  before: [number, number][],
  after: [number, number][],
  max: number,
): LogHistogram {
  const was = new Map(before);
  const h = new LogHistogram();
  h.merge(
    after.map(([i, n]) => [i, n - (was.get(i) ?? 0)] as [number, number]).filter(([, n]) => n > 0),
    max,
  );
  return h;
}
