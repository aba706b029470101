/**
 * Reading the agent's /metrics (Prometheus text): counter sums by name, and quantiles from the
 * difference of two scrapes of a histogram (linear within a bucket, as Prometheus'
 * histogram_quantile does).
 */

/** One scrape: each sample line as [name, labels, value]. */
export type Scrape = { name: string; labels: string; value: number }[];

/** Fetches and parses /metrics. */
export async function scrape(url: string): Promise<Scrape> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
  const out: Scrape = [];
  for (const line of (await res.text()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{.*\})?\s+(\S+)/.exec(line);
    if (m !== null) out.push({ name: m[1], labels: m[2] ?? '', value: Number(m[3]) });
  }
  return out;
}

/** The sum of every sample of a metric whose labels contain `match`. */
export function total(s: Scrape, name: string, match = ''): number {
  let n = 0;
  for (const x of s) if (x.name === name && x.labels.includes(match)) n += x.value;
  return n;
}

/** Cumulative bucket counts of a histogram by upper bound (summed over label sets). */
function buckets(s: Scrape, name: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const x of s) {
    if (x.name !== `${name}_bucket`) continue;
    const le = /le="([^"]+)"/.exec(x.labels)?.[1];
    if (le === undefined) continue;
    const bound = le === '+Inf' ? Infinity : Number(le);
    out.set(bound, (out.get(bound) ?? 0) + x.value);
  }
  return out;
}

/** Quantiles (ms) of what a histogram recorded between two scrapes; NaN when nothing was. */
export function histogramQuantiles(before: Scrape, after: Scrape, name: string, qs: number[]): number[] {
  const a = buckets(before, name);
  const b = buckets(after, name);
  const bounds = [...b.keys()].sort((x, y) => x - y);
  const cum = bounds.map((le) => (b.get(le) ?? 0) - (a.get(le) ?? 0));
  const n = cum.length > 0 ? cum[cum.length - 1] : 0;
  return qs.map((q) => {
    if (n === 0) return NaN;
    const rank = q * n;
    for (let i = 0; i < bounds.length; i++) {
      if (cum[i] < rank) continue;
      const lo = i === 0 ? 0 : bounds[i - 1];
      const below = i === 0 ? 0 : cum[i - 1];
      if (bounds[i] === Infinity) return lo * 1000;
      const inBucket = cum[i] - below;
      return (lo + ((bounds[i] - lo) * (rank - below)) / (inBucket || 1)) * 1000;
    }
    return NaN;
  });
}
