/**
 * What one parse worker (http_listener's parse_workers, core/lib/parse-pool) costs in memory: the
 * process RSS (every thread of it) before any worker, with an idle worker, and after the worker
 * parsed the bench corpus (about 162,000 series, 1,000-line bodies) `passes` times, its series
 * cache full. Not a test: a reproducible measurement for BENCHMARKS.md.
 *
 *   node test/bench/parse-worker-mem.ts [--young 16] [--cache 200000] [--passes 2]
 *
 * --young 0 leaves V8's default young generation to the worker.
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { createParser } from '../../core/format/registry.ts';
import { ParsePool } from '../../core/lib/parse-pool/pool.ts';
import { testContext } from '../../core/plugin/testing.ts';
import { buildBatches, nowDigits, stamp } from './corpus.ts';

const { values: a } = parseArgs({
  options: {
    hosts: { type: 'string', default: '20000' },
    cache: { type: 'string', default: '200000' },
    passes: { type: 'string', default: '2' },
    young: { type: 'string', default: '16' },
  },
});
const hosts = Number(a.hosts);
const size = 1000;
const batches = buildBatches(Math.ceil((hosts * 8) / size), size, {
  hosts,
  seed: 1,
  strings: true,
  points: 1,
});
const at = nowDigits();
for (const b of batches) stamp(b, at);

function status(): { rss: number; hwm: number } {
  const s = fs.readFileSync('/proc/self/status', 'utf8');
  const kb = (k: string): number => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(s)?.[1] ?? NaN);
  return { rss: Math.round(kb('VmRSS') / 1024), hwm: Math.round(kb('VmHWM') / 1024) };
}

const young = Number(a.young);
const pool = new ParsePool({
  workers: 1,
  seriesCache: Number(a.cache),
  inline: createParser('influx'),
  ctx: testContext({ kind: 'input', name: 'http_listener' }),
  resourceLimits: young > 0 ? { maxYoungGenerationSizeMb: young, stackSizeMb: 4 } : {},
});
const before = status();
const options = { precision: 'ns' as const, defaultTime: [Date.now(), 0] as const };
await pool.parse(Buffer.from('warm v=1i\n'), options);
const idle = status();
let lines = 0;
for (let pass = 0; pass < Number(a.passes); pass++)
  for (const b of batches) lines += (await pool.parse(b.data, options)).metrics.length;
const full = status();
const s = pool.stats();
await pool.close();
console.log(
  JSON.stringify({
    young_mb: young > 0 ? young : 'default',
    series_cache: Number(a.cache),
    lines,
    offloaded: s.offloaded,
    rss_mb: { before: before.rss, idle_worker: idle.rss, after_corpus: full.rss, peak: full.hwm },
    worker_idle_mb: idle.rss - before.rss,
    worker_full_mb: full.rss - before.rss,
  }),
);
