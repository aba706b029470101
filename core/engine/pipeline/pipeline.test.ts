import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { Metric } from '../../model/metric/metric.ts';
import type { RunningOutput } from '../running/output.ts';
import { Pipeline } from './pipeline.ts';

/** An output whose fullness the test sets, recording what it got. */
function fakeOutput(): { out: RunningOutput; setFull(v: boolean): void; got: Metric[] } {
  let full = false;
  const got: Metric[] = [];
  const out = {
    filter: { active: false, modifies: false, select: () => true, trim: () => true },
    get full() {
      return full;
    },
    add: (ms: Metric[]) => void got.push(...ms),
  } as unknown as RunningOutput;
  return { out, setFull: (v) => (full = v), got };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('Pipeline', () => {
  it('should resume a waiting source on a later macrotask, not inside the output loop', async () => {
    const o = fakeOutput();
    const p = new Pipeline([], [o.out], pino({ level: 'silent' }));
    o.setFull(true);
    let resumed = false;
    void p.waitForCapacity().then(() => (resumed = true));
    o.setFull(false);
    p.capacityAvailable();
    await Promise.resolve();
    await Promise.resolve();
    expect(resumed).toBe(false);
    await tick();
    expect(resumed).toBe(true);
  });

  it('should keep a source waiting while an output is full again when it would wake', async () => {
    const o = fakeOutput();
    const p = new Pipeline([], [o.out], pino({ level: 'silent' }));
    o.setFull(true);
    let resumed = false;
    void p.waitForCapacity().then(() => (resumed = true));
    o.setFull(false);
    p.capacityAvailable();
    o.setFull(true);
    await tick();
    await tick();
    expect(resumed).toBe(false);
    o.setFull(false);
    p.capacityAvailable();
    await tick();
    expect(resumed).toBe(true);
  });

  it('should hand every pushed metric to the outputs', () => {
    const o = fakeOutput();
    const p = new Pipeline([], [o.out], pino({ level: 'silent' }));
    expect(p.push([new Metric('m', {}, { v: 1 }, 0)], undefined)).toBe(true);
    expect(o.got).toHaveLength(1);
  });
});
