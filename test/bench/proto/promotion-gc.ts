/**
 * PROTOTYPE (benchmark only, not kept: BENCHMARKS.md, "A full GC per burst of promotion"; its
 * successor, kept, is core/app/promotion-gc.ts: this one's `gc` PerformanceObserver promoted
 * its own entries, and V8's next full GC came soon after each of its GCs): a
 * node preload for the agent that runs a full GC each time V8's old generation has grown by a
 * step since the last full GC, checked after every GC V8 reports. Measured 15–20 MB less peak RSS
 * under `http-pipeline` in 20 s windows and 50–60 MB more in 60 s ones. To reproduce:
 *
 *   node test/bench/bench.ts --scenario http-pipeline --duration 60 --warmup 5 \
 *     --node-flag=--expose-gc --node-flag=--import=$PWD/test/bench/proto/promotion-gc.ts
 *
 * (an absolute path: the agent runs in the bench's temp dir). Query parameters of the import URL
 * (`--node-flag=--import=file://$PWD/test/bench/proto/promotion-gc.ts?window=1000`):
 * `step` (MiB, default 12), `budget` (after a GC of p ms the next waits budget × p ms, default 20),
 * `window` (ms; 0, the default: any growth counts; above 0 only growth within one to two windows
 * of that length, a burst). Prints its GCs to stderr at exit (the agent's log under `--keep`).
 */
import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import v8 from 'node:v8';

type Gc = (o: { type: 'major'; execution: 'sync' }) => void;
const gc = (globalThis as { gc?: Gc }).gc;
if (gc === undefined) throw new Error('promotion-gc.ts: start node with --expose-gc');

const q = new URL(import.meta.url).searchParams;
const MiB = 1024 * 1024;
const step = Number(q.get('step') ?? 12) * MiB;
const budget = Number(q.get('budget') ?? 20);
const windowMs = Number(q.get('window') ?? 0);
const maxLive = 96 * MiB;

function oldSpaceUsed(): number {
  for (const s of v8.getHeapSpaceStatistics()) if (s.space_name === 'old_space') return s.space_used_size;
  return 0;
}

let floor = oldSpaceUsed();
let notBefore = 0;
let windowAt = 0;
let windowUsed = floor;
let prevWindowUsed = floor;
const log: string[] = [];
const t0 = performance.now();

function check(afterMajor: boolean): void {
  const used = oldSpaceUsed();
  // A full GC's entry (V8's own, or this one's, which comes in a later callback) sets the floor.
  if (afterMajor || used < floor) floor = used;
  const t = performance.now();
  if (windowMs > 0 && t - windowAt >= windowMs) {
    prevWindowUsed = windowUsed;
    windowUsed = used;
    windowAt = t;
  }
  if (floor > maxLive || t < notBefore) return;
  const since = windowMs > 0 ? Math.max(floor, Math.min(prevWindowUsed, windowUsed)) : floor;
  if (used - since <= Math.max(step, floor / 4)) return;
  gc!({ type: 'major', execution: 'sync' });
  const ms = performance.now() - t;
  notBefore = t + ms + budget * ms;
  floor = oldSpaceUsed();
  log.push(
    `${Math.round(t - t0)} ms: ${(used / MiB).toFixed(1)} -> ${(floor / MiB).toFixed(1)} MiB, ${ms.toFixed(1)} ms`,
  );
}

new PerformanceObserver((list) => {
  let major = false;
  for (const e of list.getEntries()) {
    const kind = (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
    if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) major = true;
  }
  check(major);
}).observe({ entryTypes: ['gc'] });

process.on('exit', () => {
  process.stderr.write(`promotion-gc: ${log.length} GCs\n${log.join('\n')}\n`);
});
