import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { processorCommonSchema } from '../../config/schema.ts';
import { Metric } from '../../model/metric/metric.ts';
import type { Clock, ProcessorInstance } from '../../plugin/types.ts';
import { Telemetry } from '../telemetry/telemetry.ts';
import { RunningProcessor } from './processor.ts';
import { ProcessorStats } from './stats.ts';

const id = { kind: 'processor' as const, name: 'keep_even', alias: undefined, label: 'processors.keep_even' };

const until = async (cond: () => boolean, ms = 5000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
};

/** A running processor around `instance`, with its self-metrics and log lines. */
function running(instance: ProcessorInstance, common: Record<string, unknown> = {}, clock?: Clock) {
  const telemetry = new Telemetry('test');
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  const abort = new AbortController();
  const p = new RunningProcessor({
    id,
    common: processorCommonSchema.parse(common),
    instance,
    log,
    stats: new ProcessorStats(telemetry, id),
    clock,
    signal: abort.signal,
  });
  return { p, telemetry, lines, abort };
}

const at = (ms: number, v = 0): Metric => new Metric('m', {}, { v }, ms);

const stopping: RunningProcessor[] = [];
afterEach(async () => {
  for (const p of stopping.splice(0)) await p.stopTicking();
});

describe('RunningProcessor', () => {
  it('should count what a processor got and gave when it filters the batch in place', async () => {
    const { p, telemetry } = running({
      process: (ms) => {
        let k = 0;
        for (const m of ms) if ((m.fields.v as number) % 2 === 0) ms[k++] = m;
        ms.length = k;
        return ms;
      },
    });
    const out = p.process(Array.from({ length: 10 }, (_, i) => at(0, i)));
    expect(out).toHaveLength(5);
    const text = await telemetry.text();
    expect(text).toMatch(/viva_processor_in_total\{[^}]*\} 10\b/);
    expect(text).toMatch(/viva_processor_out_total\{[^}]*\} 5\b/);
  });
});

describe('RunningProcessor tick', () => {
  it('should call tick on its interval with the wall time and send what it returns on', async () => {
    const wall: Clock = { now: () => 5_000_000, monotonic: () => performance.now() };
    const times: number[] = [];
    const { p, telemetry } = running(
      {
        process: (ms) => ms,
        tickInterval: 5,
        tick: (now) => {
          times.push(now);
          return [at(now, times.length)];
        },
      },
      {},
      wall,
    );
    stopping.push(p);
    const emitted: Metric[] = [];
    p.startTicking((ms) => emitted.push(...ms));
    await until(() => emitted.length >= 3);
    expect(times.slice(0, 3)).toEqual([5_000_000, 5_000_000, 5_000_000]);
    expect(emitted.slice(0, 3).map((m) => m.fields.v)).toEqual([1, 2, 3]);
    expect(await telemetry.text()).toMatch(/viva_processor_out_total\{[^}]*\} [3-9]/);
  });

  it('should give the processor the later of the wall clock and the newest metric time (wall)', () => {
    const wall: Clock = { now: () => 1_000, monotonic: () => 0 };
    const seen: (number | undefined)[] = [];
    const { p } = running(
      {
        process: (ms, now) => {
          seen.push(now);
          return ms;
        },
        tick: () => [],
      },
      {},
      wall,
    );
    void p.process([at(500)]);
    void p.process([at(3_000), at(2_000)]);
    void p.process([at(2_500)]);
    expect(seen).toEqual([1_000, 3_000, 3_000]);
  });

  it('should move time only with the metrics in event time, filtered-out metrics included', async () => {
    const wall: Clock = { now: () => 9_999_999, monotonic: () => 0 };
    const ticks: number[] = [];
    const seen: (number | undefined)[] = [];
    const { p } = running(
      {
        process: (ms, now) => {
          seen.push(now);
          return ms;
        },
        tickInterval: 5,
        tick: (now) => {
          ticks.push(now);
          return [];
        },
      },
      { clock: 'event', namepass: ['selected'] },
      wall,
    );
    stopping.push(p);
    p.startTicking(() => undefined);
    expect(p.now()).toBe(-Infinity);
    void p.process([at(1_000), new Metric('selected', {}, { v: 1 }, 700)]);
    expect(seen).toEqual([1_000]);
    await until(() => ticks.length >= 2);
    // No tick before time started; every tick at the newest metric time, not the wall clock.
    expect(new Set(ticks)).toEqual(new Set([1_000]));
  });

  it('should count and log a tick that throws, and keep ticking', async () => {
    let calls = 0;
    const { p, telemetry, lines } = running(
      {
        process: (ms) => ms,
        tickInterval: 5,
        tick: () => {
          calls++;
          if (calls === 1) throw new Error('boom');
          return [];
        },
      },
      {},
    );
    stopping.push(p);
    p.startTicking(() => undefined);
    await until(() => calls >= 3);
    expect(await telemetry.text()).toMatch(/viva_processor_errors_total\{[^}]*\} 1\b/);
    expect(lines.find((l) => l.msg === 'processor tick failed')).toMatchObject({ err: 'boom', level: 50 });
  });

  it('should never start a tick before the previous one has finished', async () => {
    let inside = 0;
    let most = 0;
    let done = 0;
    const { p } = running({
      process: (ms) => ms,
      tickInterval: 1,
      tick: async () => {
        inside++;
        most = Math.max(most, inside);
        // Slower than the interval: several intervals pass during each tick.
        await new Promise((r) => setTimeout(r, 15));
        inside--;
        done++;
        return [];
      },
    });
    stopping.push(p);
    p.startTicking(() => undefined);
    await until(() => done >= 4);
    expect(most).toBe(1);
  });

  it('should stop ticking on stopTicking and on abort, waiting for a tick in progress', async () => {
    const make = () => {
      const state = { calls: 0, finished: 0, emitted: 0 };
      const r = running({
        process: (ms) => ms,
        tickInterval: 2,
        tick: async () => {
          state.calls++;
          await new Promise((res) => setTimeout(res, 5));
          state.finished++;
          return [at(0)];
        },
      });
      stopping.push(r.p);
      r.p.startTicking((ms) => (state.emitted += ms.length));
      return { ...r, state };
    };
    const stopped = make();
    const aborted = make();
    const control = make();
    await until(() => stopped.state.calls >= 1 && aborted.state.calls >= 1);
    await stopped.p.stopTicking();
    aborted.abort.abort();
    // stopTicking() returned after the tick in progress had finished, and its output went on.
    expect(stopped.state.finished).toBe(stopped.state.calls);
    expect(stopped.state.emitted).toBe(stopped.state.calls);
    const counts = [stopped.state.calls, aborted.state.calls];
    const from = control.state.calls;
    await until(() => control.state.calls >= from + 5);
    expect([stopped.state.calls, aborted.state.calls]).toEqual(counts);
  });
});
