/**
 * A circuit breaker per output: closed (writes go through) until `failures` consecutive writes
 * fail, then open (no writes) for `openFor`; then half-open: the next write is a probe. A probe
 * that succeeds closes it; one that fails opens it again for twice as long, up to `maxOpenFor`.
 */
export type BreakerState = 'closed' | 'open' | 'half_open';

/** Numeric encoding on /metrics: 0 closed, 1 half-open, 2 open. */
export const BREAKER_GAUGE: Record<BreakerState, number> = { closed: 0, half_open: 1, open: 2 };

export interface BreakerOptions {
  failures: number;
  openFor: number;
  maxOpenFor: number;
  now?: () => number;
}

export class CircuitBreaker {
  private stateValue: BreakerState = 'closed';
  private consecutive = 0;
  private openUntil = 0;
  private currentOpenFor: number;
  private readonly opts: BreakerOptions;
  private readonly now: () => number;
  /** Times the breaker opened (including re-opens after a failed probe). */
  opened = 0;

  constructor(opts: BreakerOptions) {
    this.opts = opts;
    this.currentOpenFor = opts.openFor;
    this.now = opts.now ?? Date.now;
  }

  get state(): BreakerState {
    if (this.stateValue === 'open' && this.now() >= this.openUntil) this.stateValue = 'half_open';
    return this.stateValue;
  }

  /** True when a write may be tried now (closed, or half-open for a probe). */
  allows(): boolean {
    return this.state !== 'open';
  }

  /** Milliseconds until an open breaker lets a probe through (0 when it allows now). */
  waitMs(): number {
    return this.state === 'open' ? Math.max(0, this.openUntil - this.now()) : 0;
  }

  success(): void {
    this.stateValue = 'closed';
    this.consecutive = 0;
    this.currentOpenFor = this.opts.openFor;
  }

  /** A failed write; `retryAfterMs` (a server's Retry-After) stretches the open time. */
  failure(retryAfterMs?: number): void {
    const state = this.state;
    this.consecutive++;
    if (state === 'half_open') {
      this.currentOpenFor = Math.min(this.opts.maxOpenFor, this.currentOpenFor * 2);
      this.open(retryAfterMs);
    } else if (this.consecutive >= this.opts.failures) {
      this.open(retryAfterMs);
    }
  }

  private open(retryAfterMs?: number): void {
    this.stateValue = 'open';
    this.opened++;
    this.openUntil = this.now() + Math.max(this.currentOpenFor, retryAfterMs ?? 0);
  }
}
