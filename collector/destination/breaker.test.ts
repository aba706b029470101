import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from './breaker.ts';

describe('CircuitBreaker', () => {
  it('opens after N consecutive failures, probes half-open, closes on success', () => {
    let now = 0;
    const b = new CircuitBreaker({ failures: 3, openFor: 1000, maxOpenFor: 8000, now: () => now });
    b.failure();
    b.failure();
    expect(b.state).toBe('closed');
    b.failure();
    expect(b.state).toBe('open');
    expect(b.allows()).toBe(false);
    expect(b.waitMs()).toBe(1000);
    now = 1000;
    expect(b.state).toBe('half_open');
    b.success();
    expect(b.state).toBe('closed');
  });

  it('doubles the open time after a failed probe, up to the maximum, and honours Retry-After', () => {
    let now = 0;
    const b = new CircuitBreaker({ failures: 1, openFor: 1000, maxOpenFor: 3000, now: () => now });
    b.failure();
    now = 1000;
    b.failure(); // failed probe
    expect(b.waitMs()).toBe(2000);
    now = 3000;
    b.failure();
    expect(b.waitMs()).toBe(3000);
    now = 6000;
    b.success();
    b.failure(10_000);
    expect(b.waitMs()).toBe(10_000);
  });

  it('a success resets the count of consecutive failures', () => {
    const b = new CircuitBreaker({ failures: 2, openFor: 1000, maxOpenFor: 1000, now: () => 0 });
    b.failure();
    b.success();
    b.failure();
    expect(b.state).toBe('closed');
  });
});
