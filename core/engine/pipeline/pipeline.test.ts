import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { outputCommonSchema } from '../../config/schema.ts';
import { Metric } from '../../model/metric/metric.ts';
import type { OutputInstance } from '../../plugin/types.ts';
import { RunningOutput } from '../running/output.ts';
import { OutputStats } from '../running/stats.ts';
import { Telemetry } from '../telemetry/telemetry.ts';
import type { Delivery } from './delivery.ts';
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

  it('should resume waiting sources one at a time, so they do not all push into the room of one', async () => {
    const o = fakeOutput();
    const p = new Pipeline([], [o.out], pino({ level: 'silent' }));
    o.setFull(true);
    const resumed: string[] = [];
    for (const name of ['a', 'b']) {
      void p.waitForCapacity().then(() => {
        resumed.push(name);
        p.push([new Metric('m', {}, { v: 1 }, 0)], undefined);
        o.setFull(true);
      });
    }
    o.setFull(false);
    p.capacityAvailable();
    await tick();
    await tick();
    expect(resumed).toEqual(['a']);
    expect(o.got).toHaveLength(1);
    o.setFull(false);
    p.capacityAvailable();
    await tick();
    expect(resumed).toEqual(['a', 'b']);
  });

  it("should hold a processor's timed emissions while an output is full and send them, in order, once there is room", async () => {
    const o = fakeOutput();
    const p = new Pipeline([], [o.out], pino({ level: 'silent' }));
    o.setFull(true);
    p.emitFrom(0, [new Metric('m', {}, { seq: 1 }, 0)], true);
    p.emitFrom(0, [new Metric('m', {}, { seq: 2 }, 0)], true);
    await tick();
    expect(o.got).toHaveLength(0);
    o.setFull(false);
    p.capacityAvailable();
    const end = Date.now() + 2000;
    while (o.got.length < 2 && Date.now() < end) await tick();
    expect(o.got.map((m) => m.fields.seq)).toEqual([1, 2]);
  });

  it('should send waiting timed emissions at once when released for a shutdown', async () => {
    const o = fakeOutput();
    const p = new Pipeline([], [o.out], pino({ level: 'silent' }));
    o.setFull(true);
    p.emitFrom(0, [new Metric('m', {}, { seq: 1 }, 0)], true);
    p.releaseParked();
    expect(o.got.map((m) => m.fields.seq)).toEqual([1]);
  });

  it('should hand every pushed metric to the outputs', () => {
    const o = fakeOutput();
    const p = new Pipeline([], [o.out], pino({ level: 'silent' }));
    expect(p.push([new Metric('m', {}, { v: 1 }, 0)], undefined)).toBe(true);
    expect(o.got).toHaveLength(1);
  });
});

describe('Pipeline fan-out to outputs that each own their buffer', () => {
  /** A real running output; its writes succeed only once `up` is set. */
  function output(alias: string, bufferLimit: number, telemetry: Telemetry) {
    const id = { kind: 'output' as const, name: 'mock', alias, label: `outputs.mock.${alias}` };
    const state = { up: false, got: [] as number[] };
    const instance: OutputInstance = {
      write: async (b) => {
        if (!state.up) throw new Error('connection refused');
        state.got.push(...b.map((m) => m.fields.seq as number));
      },
    };
    const out = new RunningOutput({
      id,
      common: outputCommonSchema.parse({ retry_initial_backoff: '5ms', retry_max_backoff: '10ms' }),
      batchSize: 50,
      bufferLimit,
      flushIntervalMs: 10,
      flushJitterMs: 0,
      instance,
      log: pino({ level: 'silent' }),
      stats: new OutputStats(telemetry, id),
    });
    return { out, state };
  }

  it("should not let one output's overflow remove metrics from another output's buffer", async () => {
    const telemetry = new Telemetry('test');
    const small = output('small', 100, telemetry);
    const big = output('big', 10_000, telemetry);
    await small.out.start();
    await big.out.start();
    const p = new Pipeline([], [small.out, big.out], pino({ level: 'silent' }));
    for (let i = 0; i < 20; i++) {
      const batch = Array.from({ length: 60 }, (_, j) => new Metric('m', {}, { seq: i * 60 + j }, 0));
      p.push(batch, undefined);
    }
    expect(small.out.buffer.length).toBe(100);
    expect(big.out.buffer.length).toBe(1200);
    small.state.up = true;
    big.state.up = true;
    const end = Date.now() + 5000;
    while (big.state.got.length < 1200 || small.state.got.length < 100) {
      if (Date.now() > end) throw new Error('outputs did not catch up');
      await tick();
    }
    expect(big.state.got).toEqual(Array.from({ length: 1200 }, (_, i) => i));
    // The small one keeps the batch it was writing when the overflow began, then the newest.
    expect(small.state.got).toEqual([
      ...Array.from({ length: 50 }, (_, i) => i),
      ...Array.from({ length: 50 }, (_, i) => 1150 + i),
    ]);
    await small.out.stop(1000);
    await big.out.stop(1000);
  });

  it('should give a batch to every output and settle its delivery when one buffer cannot store it, then tell the source', () => {
    const filter = { active: false, modifies: false, select: () => true, trim: () => true };
    // As a disk buffer does on ENOSPC: its share settles as not delivered, then it throws.
    const broken = {
      filter,
      full: false,
      add: (_ms: Metric[], d: Delivery | null) => {
        d?.release(false);
        throw new Error('ENOSPC: no space left on device');
      },
    } as unknown as RunningOutput;
    const got: Metric[] = [];
    const ok = {
      filter,
      full: false,
      add: (ms: Metric[], d: Delivery | null) => {
        got.push(...ms);
        d?.release(true);
      },
    } as unknown as RunningOutput;
    const p = new Pipeline([], [broken, ok], pino({ level: 'silent' }));
    const acks: boolean[] = [];
    expect(() => p.push([new Metric('m', {}, { v: 1 }, 0)], (d) => acks.push(d))).toThrow(/ENOSPC/);
    expect(got).toHaveLength(1);
    expect(acks).toEqual([false]);
  });
});
