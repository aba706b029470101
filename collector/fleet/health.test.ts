import { describe, expect, it } from 'vitest';
import { deadmanOf, deriveHealth, type HealthInput } from './health.ts';

const rules = { deadmanMs: 0, degradedBufferFill: 0.8 };
const T0 = 1_800_000_000_000;

function agent(over: Partial<HealthInput> = {}): HealthInput {
  return { lastSeen: T0, intervalMs: 10_000, errorRate: 0, bufferFill: 0, ...over };
}

describe('source health', () => {
  it('should call an agent that just sent a clean heartbeat healthy', () => {
    expect(deriveHealth(agent(), T0 + 1000, rules)).toEqual({ health: 'healthy' });
  });

  it('should turn silent only after three heartbeat intervals without one (the default deadman)', () => {
    expect(deadmanOf(agent(), rules)).toBe(30_000);
    expect(deriveHealth(agent(), T0 + 30_000, rules).health).toBe('healthy');
    const late = deriveHealth(agent(), T0 + 30_001, rules);
    expect(late.health).toBe('silent');
    expect(late.reason).toContain('no heartbeat for 30s (deadman 30s)');
  });

  it('should use a configured deadman over the interval rule', () => {
    const r = { ...rules, deadmanMs: 5000 };
    expect(deriveHealth(agent(), T0 + 5000, r).health).toBe('healthy');
    expect(deriveHealth(agent(), T0 + 5001, r).health).toBe('silent');
  });

  it('should call an agent silent even when its last heartbeat reported trouble', () => {
    const a = agent({ errorRate: 3, configRejected: 'bad' });
    expect(deriveHealth(a, T0 + 60_000, rules).health).toBe('silent');
  });

  it('should call an agent degraded while it reports errors', () => {
    expect(deriveHealth(agent({ errorRate: 0.25 }), T0, rules)).toEqual({
      health: 'degraded',
      reason: 'errors: 0.25/s',
    });
  });

  it('should call an agent degraded once its fullest buffer reaches the threshold', () => {
    expect(deriveHealth(agent({ bufferFill: 0.79 }), T0, rules).health).toBe('healthy');
    expect(deriveHealth(agent({ bufferFill: 0.8 }), T0, rules)).toEqual({
      health: 'degraded',
      reason: 'output buffer 80% full',
    });
  });

  it('should call an agent that refused its central config degraded, with the reason', () => {
    const d = deriveHealth(agent({ configRejected: 'inputs.cpu: unknown key "percpux"' }), T0, rules);
    expect(d.health).toBe('degraded');
    expect(d.reason).toBe('central config rejected: inputs.cpu: unknown key "percpux"');
  });

  it('should call an agent degraded when it reports its own status degraded', () => {
    expect(deriveHealth(agent({ status: 'degraded' }), T0, rules).health).toBe('degraded');
    expect(deriveHealth(agent({ status: 'ok' }), T0, rules).health).toBe('healthy');
  });
});
