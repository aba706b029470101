/**
 * The heap's growth while the output buffers hold many metrics. After each full GC V8 lets the old
 * generation grow to its live size times a factor it derives from GC and mutator speed, up to 4
 * on a 64-bit host. Metrics that wait in an output's memory buffer are live and old (they outlast
 * the young generation), and once written they are garbage in the old generation: an agent whose
 * buffers hold 100,000 metrics and more (an output slower than its inputs, or a collector away
 * for a while) lets V8 stockpile four times that between full GCs. While the memory buffers hold
 * more than `threshold` metrics this caps the factor at `1 + percent / 100`
 * (`--heap-growing-percent`, which V8 reads at each full GC; Go's default GOGC=100 is the same
 * target); it gives V8 its own choice back once they hold less than half of that.
 *
 * Measured (BENCHMARKS.md, "The heap's growth while buffers are full"): `agent-to-collector`
 * with a 200,000-metric buffer peaked at 339–362 MB instead of 495–518, for 13–15 % more CPU per
 * metric. The cap is not for everyone: under `http-pipeline` and `tcp-passthrough`, whose buffers
 * stay near empty, the same cap raised the median peak by 12 and 30 MB (full GCs during the series
 * cache's fill leave pages committed), so a process whose buffers stay small keeps V8's factor.
 *
 * A process started with its own `--heap-growing-percent` is left as it is.
 */
import v8 from 'node:v8';
import type { Logger } from 'pino';

export interface HeapGrowthOptions {
  /** Metrics held in the memory buffers now. */
  buffered: () => number;
  /** Metrics buffered above which the factor is capped (default 20,000). */
  threshold?: number;
  /** The cap, as `--heap-growing-percent` (default 100: the next full GC at twice the live heap). */
  percent?: number;
  /** How often the buffers are looked at (default 250 ms). */
  intervalMs?: number;
  /** The node flags the process started with (default process.execArgv). */
  execArgv?: readonly string[];
  /** Sets V8 flags (default v8.setFlagsFromString; tests record the calls). */
  setFlags?: (flags: string) => void;
  /** Called when the cap goes on or off, with the metrics buffered then. */
  onChange?: (e: HeapGrowthEvent) => void;
}

export interface HeapGrowthEvent {
  capped: boolean;
  buffered: number;
  percent: number;
}

/** Whether the process was started with an explicit heap growth factor. */
export function heapGrowthSetByFlag(execArgv: readonly string[] = process.execArgv): boolean {
  return execArgv.some((f) => /^--heap[-_]growing[-_]percent\b/.test(f));
}

/** Caps V8's heap growth factor while the output buffers hold more than a threshold. */
export class HeapGrowth {
  private readonly buffered: () => number;
  private readonly threshold: number;
  private readonly percent: number;
  private readonly intervalMs: number;
  private readonly fixed: boolean;
  private readonly setFlags: (flags: string) => void;
  private readonly onChange: ((e: HeapGrowthEvent) => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private on = false;

  constructor(opts: HeapGrowthOptions) {
    this.buffered = opts.buffered;
    this.threshold = opts.threshold ?? 20_000;
    this.percent = opts.percent ?? 100;
    this.intervalMs = opts.intervalMs ?? 250;
    this.fixed = heapGrowthSetByFlag(opts.execArgv);
    this.setFlags = opts.setFlags ?? ((f) => v8.setFlagsFromString(f));
    this.onChange = opts.onChange;
  }

  /** Whether the cap is on now. */
  get capped(): boolean {
    return this.on;
  }

  /** The `--heap-growing-percent` this has set now: the cap's, or 0 (V8's own factor). */
  get growingPercent(): number {
    return this.on ? this.percent : 0;
  }

  start(): this {
    if (this.fixed || this.timer !== undefined) return this;
    this.timer = setInterval(() => this.check(), this.intervalMs);
    this.timer.unref();
    return this;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    if (this.on) this.set(false, 0);
  }

  /** One look at the buffers (the timer's; tests call it directly). */
  check(): void {
    if (this.fixed) return;
    const n = this.buffered();
    const next = this.on ? n >= this.threshold / 2 : n > this.threshold;
    if (next !== this.on) this.set(next, n);
  }

  private set(on: boolean, buffered: number): void {
    // 0 is V8's own: the factor it derives from GC and mutator speed.
    this.setFlags(`--heap-growing-percent=${on ? this.percent : 0}`);
    this.on = on;
    this.onChange?.({ capped: on, buffered, percent: on ? this.percent : 0 });
  }
}

/** The heap growth cap of `viva agent`, each change logged at debug level. */
export function loggedHeapGrowth(log: Logger, buffered: () => number): HeapGrowth {
  return new HeapGrowth({
    buffered,
    onChange: (e) =>
      log.debug(
        { buffered: e.buffered, heap_growing_percent: e.percent },
        e.capped ? 'heap growth capped: output buffers are full' : "heap growth back to V8's own",
      ),
  });
}
