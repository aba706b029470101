/**
 * Backpressure that does not idle the pipeline: while the pipeline is full (a block-mode output
 * buffer at its limit), a listener input holds a write request for up to `backpressure_wait`
 * instead of answering 429 at once. A 429's Retry-After is whole seconds, so a sender refused at
 * once pauses for at least a second, and meanwhile the output drains the buffer and idles. A held
 * request is admitted the moment the output's drain makes room (the pipeline's capacity signal,
 * no polling), one per turn of the event loop, first come first served; only a request still held
 * when its wait ends gets the 429.
 *
 * Bounds: a held request occupies its connection (one request at a time per HTTP/1.1
 * connection), so at most `max_connections` are held. A request held before its body is read
 * keeps the body unread: Node reads at most the stream's high-water mark (16 KiB) and then leaves
 * the rest in the socket, so the sender's TCP window throttles it. A request held after reading
 * its body (the pipeline filled while it arrived) holds the body within `max_inflight_body_size`.
 */
import { duration } from '../../config/duration.ts';
import type { Accumulator, PluginMetrics } from '../../plugin/types.ts';

/** The `backpressure_wait` option of a listener input; unset, see {@link backpressureWaitMs}. */
export const backpressureWaitSchema = duration
  .optional()
  .describe(
    'How long a write is held while the pipeline is full, admitted as soon as an output makes room; ' +
      'still full after it: 429 with Retry-After ("0s" answers 429 at once). Below read_timeout. ' +
      'Unset: 2s, or half of read_timeout when that is shorter.',
  );

/** The default hold when `backpressure_wait` is unset. */
export const DEFAULT_BACKPRESSURE_WAIT_MS = 2000;

/**
 * The hold a listener uses: the configured `backpressure_wait`, or (unset) 2 s capped at half of
 * `read_timeout`, so a config that shortens read_timeout stays valid without naming the hold.
 */
export function backpressureWaitMs(configured: number | undefined, readTimeoutMs: number): number {
  return configured ?? Math.min(DEFAULT_BACKPRESSURE_WAIT_MS, Math.floor(readTimeoutMs / 2));
}

/** The config check of both listeners: a hold set explicitly must end before read_timeout. */
export function backpressureWaitFits(c: { backpressure_wait?: number; read_timeout: number }): boolean {
  return c.backpressure_wait === undefined || c.backpressure_wait < c.read_timeout;
}

/** Outcome of a held request, the `outcome` attribute of the held-requests counter. */
export type HeldOutcome = 'admitted' | 'refused' | 'gone';

interface Held {
  resolve(admitted: boolean): void;
  timer: NodeJS.Timeout;
  start: number;
  onGone: () => void;
  res: Holdable;
}

/** The answer of a held request: its 'close' before the answer means the client went away. */
export interface Holdable {
  once(event: 'close', fn: () => void): unknown;
  off(event: 'close', fn: () => void): unknown;
}

/**
 * Holds write requests of one listener while its pipeline is full. Counted in the plugin's
 * `backpressure_held{outcome}` counter and `backpressure_wait_seconds` histogram.
 */
export class CapacityGate {
  private readonly acc: Accumulator;
  private readonly waitMs: number;
  private readonly held: Held[] = [];
  /** A step of the pump is scheduled (setImmediate). */
  private scheduled = false;
  /** A wait on the pipeline's capacity is pending: one at a time, whatever the number held. */
  private waiting = false;
  private readonly counted: (value?: number, attrs?: Record<string, string>) => void;
  private readonly waited: (value: number, attrs?: Record<string, string>) => void;

  constructor(acc: Accumulator, waitMs: number, metrics: PluginMetrics) {
    this.acc = acc;
    this.waitMs = waitMs;
    this.counted = metrics.counter(
      'backpressure_held',
      'Write requests held while the pipeline was full (backpressure_wait), by outcome: ' +
        'admitted once an output made room, refused with 429 when the wait ended, gone when the client left',
    );
    this.waited = metrics.histogram(
      'backpressure_wait_seconds',
      'How long a held write request waited for room in the pipeline, by outcome',
    );
  }

  /**
   * True at once while the pipeline has room; else holds the request until it has (true), the
   * wait ends or the request goes away (false). Held requests are admitted in arrival order, and a
   * new one waits behind them. A caller that has its batch ready pushes right after a true (the
   * room it was given is still there in that turn of the event loop); one that still reads its
   * body asks again before it pushes.
   */
  admit(res: Holdable): boolean | Promise<boolean> {
    if (!this.acc.saturated && this.held.length === 0) return true;
    if (this.waitMs <= 0) return false;
    return new Promise((resolve) => {
      const entry: Held = {
        resolve,
        start: performance.now(),
        timer: setTimeout(() => this.settle(entry, 'refused'), this.waitMs),
        onGone: () => this.settle(entry, 'gone'),
        res,
      };
      res.once('close', entry.onGone);
      this.held.push(entry);
      this.kick();
    });
  }

  /**
   * `admit`, with `refuse` called when the answer is no and the request is still there (the
   * listener answers 429 with Retry-After); a client that went away meanwhile gets nothing.
   */
  admitOrRefuse(
    res: Holdable & { readonly destroyed: boolean },
    refuse: () => void,
  ): boolean | Promise<boolean> {
    const ok = this.admit(res);
    if (ok === true) return true;
    const no = (): false => {
      if (!res.destroyed) refuse();
      return false;
    };
    return ok === false ? no() : ok.then((yes) => yes || no());
  }

  private settle(entry: Held, outcome: HeldOutcome): void {
    const i = this.held.indexOf(entry);
    if (i === -1) return;
    this.held.splice(i, 1);
    clearTimeout(entry.timer);
    entry.res.off('close', entry.onGone);
    const attrs = { outcome };
    this.counted(1, attrs);
    this.waited((performance.now() - entry.start) / 1000, attrs);
    entry.resolve(outcome === 'admitted');
  }

  /** Runs a step of the pump on the next turn of the event loop (once, however often asked). */
  private kick(): void {
    if (this.scheduled || this.held.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.step();
    });
  }

  /**
   * Admits the oldest held request when there is room, then the next on a later turn: each gets
   * its turn to push before the next is woken, so they do not all push into the room of one.
   * While the pipeline is full it waits on the pipeline's capacity signal, once; a new request
   * held meanwhile looks at the pipeline itself, so a wait that is never signalled (the sink
   * replaced on a reload) delays nobody once there is room.
   */
  private step(): void {
    if (this.held.length === 0) return;
    if (!this.acc.saturated) {
      this.settle(this.held[0], 'admitted');
      this.kick();
      return;
    }
    if (this.waiting) return;
    this.waiting = true;
    void this.acc.waitForCapacity().then(() => {
      this.waiting = false;
      this.kick();
    });
  }
}
