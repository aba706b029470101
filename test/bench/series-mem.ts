/**
 * Bytes per series remembered by a LineProtocolParser's series cache, for the bench corpus (the
 * one `http-pipeline` offers: 20,000 hosts, about 162,000 series, 5,000-line batches). Not a test:
 * a reproducible measurement for BENCHMARKS.md.
 *
 *   node --expose-gc test/bench/series-mem.ts [--hosts 20000] [--cache 200000] [--passes 2]
 *
 * Parses every batch of the corpus `passes` times through one parser (what the load generator
 * sends, in its order), drops the parse results, collects garbage and prints what the V8 heap and
 * the ArrayBuffers (the cache's byte arena) grew by, divided by the series remembered.
 */
import v8 from 'node:v8';
import { parseArgs } from 'node:util';
import { LineProtocolParser } from '../../core/format/lineprotocol/parser.ts';
import { buildBatches, nowDigits, stamp } from './corpus.ts';

const { values: a } = parseArgs({
  options: {
    hosts: { type: 'string', default: '20000' },
    cache: { type: 'string', default: '200000' },
    passes: { type: 'string', default: '2' },
    batch: { type: 'string', default: '5000' },
    'no-strings': { type: 'boolean', default: false },
  },
});
const maybeGc = (globalThis as { gc?: () => void }).gc;
if (maybeGc === undefined) throw new Error('run with node --expose-gc');
const gc: () => void = maybeGc;

const hosts = Number(a.hosts);
const size = Number(a.batch);
const count = Math.ceil((hosts * 8) / size);
const batches = buildBatches(count, size, { hosts, seed: 1, strings: !a['no-strings'], points: 1 });
const at = nowDigits();
for (const b of batches) stamp(b, at);

function settle(): { heap: number; buffers: number; spaces: Record<string, number> } {
  for (let i = 0; i < 4; i++) gc();
  const m = process.memoryUsage();
  const spaces: Record<string, number> = {};
  for (const s of v8.getHeapSpaceStatistics()) spaces[s.space_name] = s.space_used_size;
  return { heap: m.heapUsed, buffers: m.arrayBuffers, spaces };
}

const before = settle();
const parser = new LineProtocolParser({ seriesCache: Number(a.cache) });
let lines = 0;
let errors = 0;
const t0 = performance.now();
for (let p = 0; p < Number(a.passes); p++) {
  for (const b of batches) {
    const r = parser.parse(b.data);
    lines += r.metrics.length;
    errors += r.errors.length;
  }
}
const ms = performance.now() - t0;
const after = settle();
const stats = parser.seriesCacheStats();
const n = stats?.size ?? 0;
const per = (x: number): number => (n === 0 ? 0 : Math.round(x / n));
const spaceGrowth: Record<string, number> = {};
for (const k of Object.keys(after.spaces)) {
  const d = after.spaces[k] - (before.spaces[k] ?? 0);
  if (Math.abs(d) > 1024 * 1024) spaceGrowth[k] = Math.round(d / 1024 / 1024);
}
console.log(
  JSON.stringify({
    series: n,
    lines,
    errors,
    parse_ms: Math.round(ms),
    heap_mb: Math.round((after.heap - before.heap) / 1024 / 1024),
    buffers_mb: Math.round((after.buffers - before.buffers) / 1024 / 1024),
    heap_bytes_per_series: per(after.heap - before.heap),
    buffer_bytes_per_series: per(after.buffers - before.buffers),
    space_growth_mb: spaceGrowth,
    hits: stats?.hits,
    misses: stats?.misses,
  }),
);
// Keeps the parser (and its cache) alive until after the measurement.
if (parser.seriesCacheStats() === null && n > 0) console.log('');
