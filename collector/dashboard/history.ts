/**
 * The chart history the dashboard sends a page when it connects: the last 5 minutes at one point a
 * second, and the last hour downsampled to one point per 10 seconds (the mean of each 10 s, the
 * max for p99). Fixed-size rings: memory does not grow with uptime.
 */

/** The charted series of one frame. */
export const SERIES = ['in', 'out', 'errors', 'drops', 'p50', 'p99'] as const;
export type SeriesName = (typeof SERIES)[number];
export type Point = Record<SeriesName, number | null>;

/** Columns, oldest first: what uPlot takes. */
export interface Columns {
  t: number[];
  series: Record<SeriesName, (number | null)[]>;
}

class Ring {
  private readonly cap: number;
  private readonly t: number[] = [];
  private readonly points: Point[] = [];
  private next = 0;

  constructor(cap: number) {
    this.cap = cap;
  }

  push(t: number, p: Point): void {
    if (this.t.length < this.cap) {
      this.t.push(t);
      this.points.push(p);
      return;
    }
    this.t[this.next] = t;
    this.points[this.next] = p;
    this.next = (this.next + 1) % this.cap;
  }

  columns(): Columns {
    const n = this.t.length;
    const start = n < this.cap ? 0 : this.next;
    const t: number[] = [];
    const series = Object.fromEntries(SERIES.map((s) => [s, [] as (number | null)[]])) as Columns['series'];
    for (let k = 0; k < n; k++) {
      const i = (start + k) % n;
      t.push(this.t[i]);
      for (const s of SERIES) series[s].push(this.points[i][s]);
    }
    return { t, series };
  }
}

export const FINE_POINTS = 300;
export const COARSE_POINTS = 360;
export const COARSE_STEP_MS = 10_000;

/** Both resolutions, fed one point per frame. */
export class History {
  readonly fine = new Ring(FINE_POINTS);
  readonly coarse = new Ring(COARSE_POINTS);
  private bucket = -1;
  private acc: { n: number; sum: Record<SeriesName, number>; cnt: Record<SeriesName, number> } | null = null;

  add(t: number, p: Point): void {
    this.fine.push(t, p);
    const b = Math.floor(t / COARSE_STEP_MS);
    if (b !== this.bucket) {
      this.flush();
      this.bucket = b;
      this.acc = {
        n: 0,
        sum: Object.fromEntries(SERIES.map((s) => [s, 0])) as Record<SeriesName, number>,
        cnt: Object.fromEntries(SERIES.map((s) => [s, 0])) as Record<SeriesName, number>,
      };
    }
    const a = this.acc;
    if (a === null) return;
    a.n++;
    for (const s of SERIES) {
      const v = p[s];
      if (v === null) continue;
      a.sum[s] = s === 'p99' ? Math.max(a.sum[s], v) : a.sum[s] + v;
      a.cnt[s]++;
    }
  }

  private flush(): void {
    const a = this.acc;
    if (a === null || a.n === 0) return;
    const p = {} as Point;
    for (const s of SERIES)
      p[s] = a.cnt[s] === 0 ? null : s === 'p99' ? a.sum[s] : Math.round((a.sum[s] / a.cnt[s]) * 10) / 10;
    this.coarse.push(this.bucket * COARSE_STEP_MS, p);
  }

  /** Both rings as columns (the coarse one without the 10 s still being filled). */
  columns(): { fine: Columns; coarse: Columns } {
    return { fine: this.fine.columns(), coarse: this.coarse.columns() };
  }
}
