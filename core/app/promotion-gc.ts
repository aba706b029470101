/**
 * A full GC each time the old generation has grown by a step, so what a steady load promotes is
 * collected while it is little, instead of piling up until V8's own limit.
 *
 * Under a steady load (`http-pipeline`, about 1 M lines/s), a scavenge now and then promotes
 * objects that were in flight (a request whose metrics outlived two scavenges): about 3 MB a
 * minute, all of it garbage soon after. V8 sets its next full GC at the live heap times a factor
 * it chose during the start, when the series cache's fill was promoting fast, so the old
 * generation grows for a quarter of an hour and more before a full GC comes, and the RSS with it:
 * the agent went from 187 MB at 1 minute to 225 MB at 15 (BENCHMARKS.md, "A full GC per step of
 * the old generation"). When V8's full GC comes under such a load it is incremental, and what is
 * promoted while it marks survives it.
 *
 * This looks at the old generation every `intervalMs` (a timer: V8's `gc` performance entries
 * were tried and are not used, their entry objects are promoted in turn) and runs an atomic full
 * GC (`gc({ type: 'major', execution: 'sync' })`, 20–35 ms for the bench's 47 MB of live heap)
 * once it has grown by `stepBytes`, or a quarter of its size after the last full GC if that is
 * more (the GC's cost grows with the live heap, so the step does too). After a GC of p ms the
 * next waits at least `budget` × p ms, so these GCs never take more than 1 / (budget + 1) of the
 * time. Above `maxLiveBytes` of old generation after a full GC it leaves the heap to V8, whose
 * incremental marking suits a large heap better than one long pause. A full GC V8 ran on its own
 * counts as the last one.
 *
 * Each of these GCs runs with V8's heap growth factor at 2 (`--heap-growing-percent=100`, set for
 * the GC and set back right after; V8 reads it when a full GC ends, to place the next one). With
 * its own factor V8 placed its next full GC barely above the live heap after such a GC (the
 * old generation grows slowly, so it judged a tight limit cheap), its incremental marking started
 * within seconds, and under this load such a GC ended 25–40 MB above where it started: the RSS
 * rose instead of falling. At twice the live heap the next step here comes first. A process
 * started with its own `--heap-growing-percent` is left with it.
 */
import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import type { Logger } from 'pino';
import { heapGrowthSetByFlag } from './heap-growth.ts';
import { GcTimer } from './idle-memory.ts';

export interface PromotionGcOptions {
  /** Growth of the old generation since the last full GC that makes the next one (default 8 MiB). */
  stepBytes?: number;
  /** After a GC of p ms, none for `budget` × p ms (default 20). */
  budget?: number;
  /** Old generation after a full GC above which this leaves the heap to V8 (default 96 MiB). */
  maxLiveBytes?: number;
  /** How often the old generation is looked at (default 250 ms). */
  intervalMs?: number;
  /** Bytes used in the old generation now (default: V8's `old_space`; tests give their own). */
  oldBytes?: () => number;
  /**
   * `--heap-growing-percent` to set back after each GC: 0 (V8's own factor, the default) or what
   * another part of the process set (the agent's HeapGrowth cap while it is on).
   */
  growingPercent?: () => number;
  /** The node flags the process started with (default process.execArgv). */
  execArgv?: readonly string[];
  /** Sets V8 flags (default v8.setFlagsFromString; tests record the calls). */
  setFlags?: (flags: string) => void;
  /** Called after each GC this ran. */
  onCollect?: (e: PromotionGcEvent) => void;
}

/** One GC this ran, for logs and tests. */
export interface PromotionGcEvent {
  /** Old generation bytes used before and after the GC. */
  before: number;
  after: number;
  ms: number;
}

const MiB = 1024 * 1024;

function oldSpaceUsed(): number {
  for (const s of v8.getHeapSpaceStatistics()) if (s.space_name === 'old_space') return s.space_used_size;
  return 0;
}

/** Runs a full GC each time the old generation has grown by a step (see the top of this file). */
export class PromotionGc extends GcTimer {
  private readonly step: number;
  private readonly budget: number;
  private readonly maxLive: number;
  private readonly oldBytes: () => number;
  private readonly growingPercent: () => number;
  /** Started with its own --heap-growing-percent: the factor is not touched. */
  private readonly fixed: boolean;
  private readonly setFlags: (flags: string) => void;
  private readonly onCollect: ((e: PromotionGcEvent) => void) | undefined;
  /** Old generation used after the last full GC (this one's or V8's). */
  private floor = 0;
  private notBefore = 0;

  constructor(opts: PromotionGcOptions = {}) {
    super(opts.intervalMs ?? 250);
    this.step = opts.stepBytes ?? 8 * MiB;
    this.budget = opts.budget ?? 20;
    this.maxLive = opts.maxLiveBytes ?? 96 * MiB;
    this.oldBytes = opts.oldBytes ?? oldSpaceUsed;
    this.growingPercent = opts.growingPercent ?? (() => 0);
    this.fixed = heapGrowthSetByFlag(opts.execArgv);
    this.setFlags = opts.setFlags ?? ((f) => v8.setFlagsFromString(f));
    this.onCollect = opts.onCollect;
  }

  protected started(): void {
    this.floor = this.oldBytes();
  }

  protected check(): void {
    const used = this.oldBytes();
    // Less than after the last full GC: V8 ran one of its own since.
    if (used < this.floor) this.floor = used;
    const t = performance.now();
    if (this.gc === undefined || t < this.notBefore || this.floor > this.maxLive) return;
    if (used - this.floor < Math.max(this.step, this.floor / 4)) return;
    if (!this.fixed) this.setFlags('--heap-growing-percent=100');
    try {
      this.gc({ type: 'major', execution: 'sync' });
    } finally {
      if (!this.fixed) this.setFlags(`--heap-growing-percent=${this.growingPercent()}`);
    }
    const ms = performance.now() - t;
    this.notBefore = t + ms + this.budget * ms;
    this.floor = this.oldBytes();
    this.onCollect?.({ before: used, after: this.floor, ms });
  }
}

/**
 * The promotion GC of `viva agent`, each GC logged at debug level. `growingPercent`: the heap
 * growth factor to leave after each GC (the agent's HeapGrowth cap, or 0 for V8's own).
 */
export function loggedPromotionGc(log: Logger, growingPercent: () => number): PromotionGc {
  return new PromotionGc({
    growingPercent,
    onCollect: (e) =>
      log.debug({ old_mb_before: e.before / MiB, old_mb_after: e.after / MiB, ms: e.ms }, 'promotion GC'),
  });
}
