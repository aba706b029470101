/**
 * The collectors of one viva output and their health: which one a batch goes to first (failover or
 * round robin), and how long a collector that failed is skipped (exponential backoff from retry_min
 * to retry_max, reset by a success). Time is the plugin clock's monotonic one, so tests can drive it.
 */
import type { Logger } from 'pino';
import { LogThrottle } from '../../../core/engine/telemetry/log-throttle.ts';
import { redactUrl } from '../../../core/model/redact.ts';
import type { Clock } from '../../../core/plugin/types.ts';

/** One collector and its backoff state. */
export interface Endpoint {
  readonly url: string;
  /** Consecutive failures; 0 while healthy. */
  failures: number;
  /** Monotonic ms before which the collector is skipped. */
  downUntil: number;
}

/** How the pool picks and backs off. */
export interface EndpointOptions {
  balance: 'failover' | 'round_robin';
  retryMinMs: number;
  retryMaxMs: number;
  clock: Clock;
  log: Logger;
  /** Reports a collector's health (the endpoint_up gauge). */
  setUp: (url: string, up: boolean) => void;
}

export class Endpoints {
  readonly all: readonly Endpoint[];
  private readonly o: EndpointOptions;
  private readonly downLog: LogThrottle;
  /** Where the next round-robin rotation starts. */
  private next = 0;

  constructor(urls: readonly string[], o: EndpointOptions) {
    this.all = urls.map((url) => ({ url, failures: 0, downUntil: 0 }));
    this.o = o;
    this.downLog = new LogThrottle(o.log);
  }

  /** Reports every collector as up, before the first write. */
  init(): void {
    for (const e of this.all) this.o.setUp(e.url, true);
  }

  /** The collectors out of backoff, in the order one batch tries them. */
  healthy(): Endpoint[] {
    const now = this.o.clock.monotonic();
    const n = this.all.length;
    const start = this.o.balance === 'round_robin' ? this.next++ % n : 0;
    const order: Endpoint[] = [];
    for (let k = 0; k < n; k++) {
      const e = this.all[(start + k) % n];
      if (e.downUntil <= now) order.push(e);
    }
    return order;
  }

  /** Milliseconds until the first collector leaves its backoff. */
  waitMs(): number {
    const now = this.o.clock.monotonic();
    return Math.max(0, Math.min(...this.all.map((e) => e.downUntil)) - now);
  }

  /** A collector took a batch: its backoff resets. */
  succeeded(e: Endpoint): void {
    if (e.failures === 0) return;
    e.failures = 0;
    e.downUntil = 0;
    this.o.setUp(e.url, true);
    this.o.log.info({ url: redactUrl(e.url) }, 'collector is back');
  }

  /** A collector failed: skip it for the next backoff (at least `atLeastMs`, its Retry-After). */
  failed(e: Endpoint, reason: string, atLeastMs = 0): void {
    e.failures++;
    const backoff = Math.min(this.o.retryMaxMs, this.o.retryMinMs * 2 ** Math.min(e.failures - 1, 30));
    const ms = Math.max(backoff, Math.min(atLeastMs, this.o.retryMaxMs));
    e.downUntil = this.o.clock.monotonic() + ms;
    this.o.setUp(e.url, false);
    this.downLog.warn(
      e.url,
      { url: redactUrl(e.url), err: redactUrl(reason), failures: e.failures, backoffMs: ms },
      'collector marked down',
    );
  }
}
