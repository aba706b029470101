/**
 * Binary batch benchmark: decodeBatch (what a destination does) against validateBatch (what the
 * collector's ingest does) on the collector-ingest corpus, batches of 5000 metrics as the viva
 * output sends them. One core; prints one JSON line per measurement. `BENCH_SECONDS` sets the time
 * per measurement (default 3).
 * Run: node test/bench/binary.ts
 */
import os from 'node:os';
import { decodeBatch, encodeBatch, validateBatch } from '../../core/format/binary/index.ts';
import { parseLineProtocol } from '../../core/format/lineprotocol/index.ts';
import type { Metric } from '../../core/model/metric/metric.ts';
import { buildBatches, nowDigits, stamp } from './corpus.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const BATCH = 5000;

function corpus(): Uint8Array[] {
  const at = nowDigits();
  return buildBatches(40, BATCH, { hosts: 10_000, seed: 1, strings: true, points: 1 }).map((b) => {
    stamp(b, at);
    const r = parseLineProtocol(b.data);
    if (r.errors.length > 0) throw new Error(`corpus: ${r.errors[0].message}`);
    return encodeBatch(r.metrics as Metric[]);
  });
}

/** Runs `pass` (one pass over the corpus, returning metrics done) for SECONDS after a warm-up. */
function measure(name: string, bytes: number, pass: () => number): void {
  const warm = performance.now();
  while (performance.now() - warm < 1000) pass();
  let metrics = 0;
  let passes = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < SECONDS * 1000) {
    metrics += pass();
    passes++;
  }
  const s = (performance.now() - t0) / 1000;
  const line = {
    name,
    metrics_per_s: Math.round(metrics / s),
    mb_per_s: Math.round(((bytes * passes) / s / 1e6) * 10) / 10,
    batch_metrics: BATCH,
    node: process.version,
    cpus: os.cpus().length,
    load1: Math.round(os.loadavg()[0] * 100) / 100,
  };
  process.stdout.write(JSON.stringify(line) + '\n');
}

const batches = corpus();
const bytes = batches.reduce((n, b) => n + b.length, 0);
for (let round = 0; round < 2; round++) {
  measure('binary.decodeBatch', bytes, () => {
    let n = 0;
    for (const b of batches) n += decodeBatch(b).length;
    return n;
  });
  measure('binary.validateBatch', bytes, () => {
    let n = 0;
    for (const b of batches) n += validateBatch(b);
    return n;
  });
}
