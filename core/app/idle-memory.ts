/**
 * Gives memory back while the process idles. V8's own memory reducer is off (`--no-memory-reducer`,
 * heap.ts: under steady load it made the heap grow in steps), so nothing shrinks the young
 * generation and the heap's free pages that the start grew: an idle host agent kept them for its
 * life. This does what the reducer did, but only when the event loop has been idle for a whole
 * window: a full GC that compacts and releases memory (`gc({ flavor: 'last-resort' })`, tens of
 * ms on an idle agent's heap), once the heap has grown since the last one. Under load (the loop
 * busier than `maxUtilization`) it never runs.
 */
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { Logger } from 'pino';

export type Gc = (options?: { type?: 'major'; execution?: 'sync'; flavor?: 'last-resort' }) => void;

/** What one window saw and did, for logs and tests. */
export interface IdleMemoryEvent {
  utilization: number;
  /** Committed heap bytes before and after the GC. */
  before: number;
  after: number;
  ms: number;
}

export interface IdleMemoryOptions {
  /** Length of the window the loop must have idled through (default 15 s). */
  windowMs?: number;
  /** Event-loop utilization (0–1) at or under which a window counts as idle (default 0.02). */
  maxUtilization?: number;
  /** Heap growth since the last GC that makes another one worth it (default 4 MiB, at least 10 %). */
  minGrowthBytes?: number;
  /** Called after each GC this ran. */
  onCollect?: (e: IdleMemoryEvent) => void;
}

function findGc(): Gc | undefined {
  const exposed = (globalThis as { gc?: unknown }).gc;
  if (typeof exposed === 'function') return exposed as Gc;
  try {
    // The flag makes V8 install `gc` in contexts created after it; it is set back at once so no
    // other context (a plugin's vm) sees it.
    v8.setFlagsFromString('--expose-gc');
    const fn: unknown = vm.runInNewContext('gc');
    return typeof fn === 'function' ? (fn as Gc) : undefined;
  } catch {
    return undefined;
  } finally {
    v8.setFlagsFromString('--no-expose-gc');
  }
}

let gcOnce: { fn: Gc | undefined } | undefined;

/**
 * V8's gc function: the one node exposes with --expose-gc, else one from a fresh context (made
 * once: the idle GC and the promotion GC share it).
 */
export function gcFunction(): Gc | undefined {
  gcOnce ??= { fn: findGc() };
  return gcOnce.fn;
}

/**
 * A GC that looks at the process every `intervalMs` (an unref'd timer) once V8's gc function is
 * at hand; `started()` runs at start, `check()` on each tick. The idle GC and the promotion GC.
 */
export abstract class GcTimer {
  protected gc: Gc | undefined;
  private readonly intervalMs: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(intervalMs: number) {
    this.intervalMs = intervalMs;
  }

  start(): void {
    if (this.timer !== undefined) return;
    this.gc = gcFunction();
    if (this.gc === undefined) return;
    this.started();
    this.timer = setInterval(() => this.check(), this.intervalMs);
    this.timer.unref();
  }

  stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    return Promise.resolve();
  }

  protected abstract started(): void;
  protected abstract check(): void;
}

function committedHeap(): number {
  return v8.getHeapStatistics().total_physical_size;
}

/** Runs a memory-releasing GC after each idle window in which the heap had grown. */
export class IdleMemory extends GcTimer {
  private readonly maxUtilization: number;
  private readonly minGrowth: number;
  private readonly onCollect: ((e: IdleMemoryEvent) => void) | undefined;
  private last: EventLoopUtilization | undefined;
  /** Committed heap right after the last GC (0 before the first: the start grew it). */
  private floor = 0;

  constructor(opts: IdleMemoryOptions = {}) {
    super(opts.windowMs ?? 15_000);
    this.maxUtilization = opts.maxUtilization ?? 0.02;
    this.minGrowth = opts.minGrowthBytes ?? 4 * 1024 * 1024;
    this.onCollect = opts.onCollect;
  }

  protected started(): void {
    this.last = performance.eventLoopUtilization();
  }

  protected check(): void {
    const now = performance.eventLoopUtilization();
    const window = performance.eventLoopUtilization(now, this.last);
    this.last = now;
    if (this.gc === undefined || window.utilization > this.maxUtilization) return;
    const before = committedHeap();
    // A large heap needs proportionally more growth: its GC takes longer.
    if (before - this.floor < Math.max(this.minGrowth, this.floor / 10)) return;
    const t = performance.now();
    this.gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
    const ms = performance.now() - t;
    this.floor = committedHeap();
    // The GC's own time is not the load's: the next window starts after it.
    this.last = performance.eventLoopUtilization();
    this.onCollect?.({ utilization: window.utilization, before, after: this.floor, ms });
  }
}

/**
 * The idle GC of a long-running command (`viva agent`, `viva collector`), each GC logged at debug
 * level: the heap the start grew, and later idle growth, goes back to the OS while it idles.
 */
export function loggedIdleMemory(log: Logger): IdleMemory {
  return new IdleMemory({
    onCollect: (e) =>
      log.debug(
        { heap_mb_before: e.before / 1048576, heap_mb_after: e.after / 1048576, ms: e.ms },
        'idle GC',
      ),
  });
}
