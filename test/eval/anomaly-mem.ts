/**
 * Memory of the `anomaly` processor per series and field: `node --expose-gc test/eval/anomaly-mem.ts
 * [detector=default] [samples per series=1200] [series=5000]`. Feeds that many series (a noisy
 * sine each) through one processor and prints the growth of the V8 heap plus typed arrays (array
 * buffers) per series, after a full GC, with the processor still holding them.
 */
import { Metric } from '../../core/model/metric/metric.ts';
import { parseConfig, testContext } from '../../core/plugin/testing.ts';
import type { ProcessorInstance } from '../../core/plugin/types.ts';
import { anomalyProcessor } from '../../plugins/processors/anomaly/index.ts';

const detector = process.argv[2] ?? 'default';
const samples = Number(process.argv[3] ?? 1200);
const series = Number(process.argv[4] ?? 5000);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');

gc();
const before = process.memoryUsage();
const p = (await anomalyProcessor.create(
  parseConfig(anomalyProcessor, {
    ...(detector === 'default' ? {} : { detector }),
    fields: ['v'],
    max_series: series * 2,
    expire_after: 0,
  }),
  testContext(anomalyProcessor),
)) as ProcessorInstance;
let t = 1_700_000_000_000;
for (let i = 0; i < samples; i++) {
  const batch: Metric[] = [];
  for (let s = 0; s < series; s++)
    batch.push(
      new Metric('m', { s: String(s) }, { v: Math.sin(i / 10 + s) * 10 + ((i * 7919 + s) % 13) / 13 }, t),
    );
  t += 1000;
  await p.process(batch, t);
}
gc();
const after = process.memoryUsage();
const perSeries = (after.heapUsed - before.heapUsed + (after.arrayBuffers - before.arrayBuffers)) / series;
console.log(
  `anomaly ${detector}: ${(perSeries / 1024).toFixed(1)} KB per series and field after ${samples} samples (${series} series)`,
);
await p.stop?.();
