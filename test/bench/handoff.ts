/**
 * What a parse worker's hand-off costs against the parse it saves, one thread, the bench corpus
 * in 1,000-line bodies: µs a line of the parse (series cache warm, and without a cache), of
 * encodeBatch (in the worker) and of decodeBatch (what the event loop does instead of parsing).
 * Not a test: a reproducible measurement for BENCHMARKS.md.
 *
 *   node test/bench/handoff.ts [--hosts 20000] [--rounds 3]
 */
import { parseArgs } from 'node:util';
import { decodeBatch, encodeBatch } from '../../core/format/binary/index.ts';
import { createParser } from '../../core/format/registry.ts';
import { buildBatches, nowDigits, stamp } from './corpus.ts';

const { values: a } = parseArgs({
  options: { hosts: { type: 'string', default: '20000' }, rounds: { type: 'string', default: '3' } },
});
const hosts = Number(a.hosts);
const batches = buildBatches(Math.ceil((hosts * 8) / 1000), 1000, {
  hosts,
  seed: 1,
  strings: true,
  points: 1,
});
const at = nowDigits();
for (const b of batches) stamp(b, at);
const lines = batches.reduce((n, b) => n + b.lines, 0);
const options = { defaultTime: [Date.now(), 0] as const };

function time(what: () => void): number {
  const t = performance.now();
  what();
  return ((performance.now() - t) * 1000) / lines;
}

const cached = createParser('influx', { seriesCache: 200_000 });
const plain = createParser('influx', { seriesCache: 0 });
const encoded = batches.map((b) => encodeBatch(cached.parse(b.data, options).metrics));
for (let r = 0; r < Number(a.rounds); r++) {
  const row = {
    parse_cached_us: time(() => {
      for (const b of batches) cached.parse(b.data, options);
    }),
    parse_no_cache_us: time(() => {
      for (const b of batches) plain.parse(b.data, options);
    }),
    encode_us: time(() => {
      for (const b of batches) encodeBatch(cached.parse(b.data, options).metrics);
    }),
    decode_us: time(() => {
      for (const e of encoded) decodeBatch(e);
    }),
  };
  // encode_us includes a cached parse: the encode alone is the difference.
  row.encode_us -= row.parse_cached_us;
  const round = (x: number): number => Math.round(x * 1000) / 1000;
  console.log(JSON.stringify(Object.fromEntries(Object.entries(row).map(([k, v]) => [k, round(v)]))));
}
