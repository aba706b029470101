/**
 * V8's optimizing compilers (Maglev and TurboFan) turned on once the process has work for them.
 * bin/viva.ts's first line starts node with them off (`--no-maglev --no-turbofan`): their machine
 * code is pages of the node binary that stay resident once run, and loading VIVA's modules at the
 * start ran them (about 7 MB of an idle host agent's RSS, BENCHMARKS.md "Each change, what it
 * saved"), though an idle agent has no code hot enough to be worth optimizing. Interpreted and
 * baseline (Sparkplug) code does what optimized code does, only slower, so when the event loop
 * gets busy, under load or a replay, they are turned on for good and the hot code is optimized
 * from then on (it takes V8 a few seconds of that load).
 *
 * A process started without those flags (a test's `node`, an operator's own flags) is left as it
 * is, and so is one with `--jitless`.
 *
 * The price (BENCHMARKS.md, "Why the late start of the compilers costs peak memory"): V8 creates
 * Maglev's concurrent dispatcher when the isolate starts, only if Maglev is on then, so Maglev
 * turned on here compiles on the main thread: the first seconds of load stall the event loop
 * (0.2–0.6 s) and the peak RSS under load is higher and less steady. Leaving Maglev off for good
 * and starting only TurboFan was measured too, and fell behind at a load's onset.
 */
import module from 'node:module';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import v8 from 'node:v8';

export interface OptimizeWhenBusyOptions {
  /** Length of one window (default 250 ms). */
  windowMs?: number;
  /**
   * Utilization (0–1) of each of `burstWindows` windows in a row that means load (default 0.5),
   * counted from the first window under it: the start's own work is not load.
   */
  burst?: number;
  /** How many busy windows in a row (default 2: load is seen within about half a second). */
  burstWindows?: number;
  /**
   * Mean utilization over the last `steadyWindows` windows that means load too (default 0.05),
   * counted from the first window under `burst`: the start's own work is not load.
   */
  steady?: number;
  /** Default 120 (30 s of 250 ms windows). */
  steadyWindows?: number;
  /** The node flags the process started with (default process.execArgv). */
  execArgv?: readonly string[];
  /** Called once the compilers are on, with the utilization of the window that turned them on. */
  onEnable?: (utilization: number) => void;
}

/** Whether the optimizing compilers were turned off by node flags that this may turn back on. */
export function optimizersDeferred(execArgv: readonly string[] = process.execArgv): boolean {
  const flags = execArgv.map((f) => f.replaceAll('_', '-'));
  if (flags.includes('--jitless') || /(^|\s)--jitless\b/.test(process.env.NODE_OPTIONS ?? '')) return false;
  return flags.includes('--no-turbofan') || flags.includes('--no-maglev');
}

/** Watches the event loop and turns the optimizing compilers on once it is busy. */
export class OptimizeWhenBusy {
  private readonly windowMs: number;
  private readonly burst: number;
  private readonly burstWindows: number;
  private readonly steady: number;
  private readonly steadyWindows: number;
  private readonly deferred: boolean;
  private readonly onEnable: ((utilization: number) => void) | undefined;
  private readonly recent: number[] = [];
  /** Busy windows in a row. */
  private run = 0;
  /** Whether a window under `burst` was seen (the start is over). */
  private settled = false;
  private timer: NodeJS.Timeout | undefined;
  private last: EventLoopUtilization | undefined;
  private enabled = false;

  constructor(opts: OptimizeWhenBusyOptions = {}) {
    this.windowMs = opts.windowMs ?? 250;
    this.burst = opts.burst ?? 0.5;
    this.burstWindows = opts.burstWindows ?? 2;
    this.steady = opts.steady ?? 0.05;
    this.steadyWindows = opts.steadyWindows ?? 120;
    this.deferred = optimizersDeferred(opts.execArgv);
    this.onEnable = opts.onEnable;
  }

  /** Whether the compilers are on (always, for a process that did not start with them off). */
  get optimizing(): boolean {
    return !this.deferred || this.enabled;
  }

  start(): this {
    if (this.optimizing || this.timer !== undefined) return this;
    this.last = performance.eventLoopUtilization();
    this.timer = setInterval(() => this.check(), this.windowMs);
    this.timer.unref();
    return this;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private check(): void {
    const now = performance.eventLoopUtilization();
    const u = performance.eventLoopUtilization(now, this.last).utilization;
    this.last = now;
    if (u < this.burst) this.settled = true;
    this.run = this.settled && u >= this.burst ? this.run + 1 : 0;
    if (this.settled) {
      this.recent.push(u);
      if (this.recent.length > this.steadyWindows) this.recent.shift();
    }
    const mean = this.recent.reduce((a, b) => a + b, 0) / this.steadyWindows;
    if (this.run >= this.burstWindows || mean >= this.steady) this.enable(u);
  }

  private enable(utilization: number): void {
    this.stop();
    this.enabled = true;
    // V8's code cache is stamped with a hash of its flags: what the compile cache holds yet is
    // written now, under the flags the next start will have, not after the change.
    module.flushCompileCache?.();
    v8.setFlagsFromString('--maglev');
    v8.setFlagsFromString('--turbofan');
    this.onEnable?.(utilization);
  }
}
