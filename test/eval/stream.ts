/**
 * Cost per event of `aggregate` + `anomaly` (default detector) over 10k series, in one thread, then
 * of `anomaly` alone with each detector over 1000 series warmed up past the adaptive detector's
 * season detection (1200 samples per series), so its steady state is what is timed:
 *   node [--expose-gc] test/eval/stream.ts [series=10000] [events per run=200000]
 * Wall time per event and the process's CPU time per event (user + system, all its threads) are
 * both given: on a shared machine the CPU time is the steadier of the two.
 * Each event is a metric with two tags and one float field, one sample per series per second of
 * event time; aggregate keeps 10 s tumbling windows (count, min, max, mean, stddev) closed by
 * event time and passes the originals on to anomaly. Metrics are built outside the timed region.
 */
import { Metric } from '../../core/model/metric/metric.ts';
import { parseConfig, testContext } from '../../core/plugin/testing.ts';
import type { ProcessorDefinition, ProcessorInstance } from '../../core/plugin/types.ts';
import { aggregateProcessor } from '../../plugins/processors/aggregate/index.ts';
import { anomalyConfig } from '../../plugins/processors/anomaly/config.ts';
import { anomalyProcessor } from '../../plugins/processors/anomaly/index.ts';

const SERIES = Number(process.argv[2] ?? 10_000);
const EVENTS = Number(process.argv[3] ?? 200_000);
const RUNS = 7;
const BATCH = 1000;
const T0 = 1_700_000_000_000;

const tags = Array.from({ length: SERIES }, (_, s) => ({ host: `host-${s}`, region: `r${s % 16}` }));
let seq = 0;

/** Builds the next `n` events in batches. */
function make(n: number): Metric[][] {
  const out: Metric[][] = [];
  for (let b = 0; b < n; b += BATCH) {
    const batch: Metric[] = [];
    for (let i = 0; i < BATCH; i++, seq++) {
      const s = seq % series;
      const t = T0 + Math.floor(seq / series) * 1000;
      batch.push(new Metric('cpu', { ...tags[s] }, { usage: 50 + 10 * Math.sin(seq / 977) + (seq % 7) }, t));
    }
    out.push(batch);
  }
  return out;
}

async function create(def: ProcessorDefinition, table: Record<string, unknown>): Promise<ProcessorInstance> {
  return def.create(parseConfig(def, table), testContext(def));
}

type Chain = ProcessorInstance[];

/** `detector` unset: the processor's default. */
async function chain(which: string, detector?: string, extra: Record<string, unknown> = {}): Promise<Chain> {
  const agg = await create(aggregateProcessor, {
    period: '10s',
    max_series: SERIES * 2,
  });
  const ano = await create(anomalyProcessor, {
    ...(detector === undefined ? {} : { detector }),
    fields: ['usage'],
    max_series: SERIES * 2,
    expire_after: 0,
    ...extra,
  });
  return which === 'aggregate' ? [agg] : which === 'anomaly' ? [ano] : [agg, ano];
}

let series = SERIES;

/** CPU time of the process (user + system) in milliseconds. */
let cpuMs = 0;

function run(c: Chain, batches: Metric[][]): number {
  const cpu = process.cpuUsage();
  const t = performance.now();
  let out = 0;
  for (const b of batches) {
    let ms = b;
    // Event time, as the core gives it with clock = "event": the newest metric time of the batch.
    const now = b[b.length - 1].timeMs;
    for (const p of c) ms = p.process(ms, now) as Metric[];
    out += ms.length;
  }
  if (out === 0) throw new Error('nothing came out');
  const d = process.cpuUsage(cpu);
  cpuMs = (d.user + d.system) / 1000;
  return performance.now() - t;
}

/** Times `c` over RUNS runs of EVENTS events after `warm` warm-up events; prints the median. */
async function bench(label: string, c: Chain, warm: number): Promise<void> {
  seq = 0;
  for (let w = 0; w < warm; w += 100_000) run(c, make(Math.min(100_000, warm - w))); // JIT and per-series state
  const costs: number[] = [];
  const cpus: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const batches = make(EVENTS);
    // With --expose-gc, start each run with a clean heap so building the input is not billed to it.
    (globalThis as { gc?: () => void }).gc?.();
    costs.push((run(c, batches) * 1e6) / EVENTS);
    cpus.push((cpuMs * 1e6) / EVENTS);
  }
  cpus.sort((a, b) => a - b);
  for (const p of c) await p.stop?.();
  costs.sort((a, b) => a - b);
  const median = costs[RUNS >> 1];
  console.log(
    `${label.padEnd(33)} ${median.toFixed(0).padStart(5)} ns/event, median of ${RUNS} runs (min ${costs[0].toFixed(0)}, max ${costs[RUNS - 1].toFixed(0)}); CPU ${cpus[RUNS >> 1].toFixed(0)} ns/event`,
  );
}

console.log(`node ${process.version}, ${SERIES} series, ${EVENTS} events per run, batches of ${BATCH}`);
for (const which of ['aggregate', 'anomaly', 'aggregate+anomaly'])
  await bench(which, await chain(which), Math.min(EVENTS, 100_000));
series = Math.min(SERIES, 1000);
console.log(`\nanomaly alone per detector, ${series} series, after 1200 samples per series:`);
for (const detector of anomalyConfig.shape.detector.unwrap().options)
  await bench(`anomaly ${detector}`, await chain('anomaly', detector), series * 1200);
await bench(
  'anomaly ensemble (adaptive, tail)',
  await chain('anomaly', 'ensemble', { ensemble_parts: ['adaptive', 'tail'] }),
  series * 1200,
);
await bench(
  'anomaly adaptive (samples)',
  await chain('anomaly', 'adaptive', { season_clock: 'samples' }),
  series * 1200,
);
