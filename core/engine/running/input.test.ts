import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { inputCommonSchema } from '../../config/schema.ts';
import { Metric } from '../../model/metric/metric.ts';
import type { InputInstance } from '../../plugin/types.ts';
import { Telemetry } from '../telemetry/telemetry.ts';
import { RunningInput, type InputSink } from './input.ts';
import { InputStats } from './stats.ts';

const id = { kind: 'input' as const, name: 'mock', alias: undefined, label: 'inputs.mock' };
const batch = (n: number): Metric[] => Array.from({ length: n }, () => new Metric('m', {}, { v: 1 }, 0));
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** A sink standing for a block-mode buffer that is full again after every batch it takes. */
function fullSink() {
  const waiting: (() => void)[] = [];
  const sink = {
    saturated: true,
    pushed: [] as number[],
    push(ms: Metric[]): boolean {
      sink.pushed.push(ms.length);
      sink.saturated = true;
      return false;
    },
    waitForCapacity: () => new Promise<void>((r) => waiting.push(r)),
    /** The output wrote a batch: there is room for one more. */
    room(): void {
      sink.saturated = false;
      for (const w of waiting.splice(0)) w();
    },
  };
  return sink;
}

function running(instance: InputInstance, sink: InputSink, controller = new AbortController()) {
  const telemetry = new Telemetry('test');
  const input = new RunningInput(
    {
      id,
      common: inputCommonSchema.parse({}),
      intervalMs: 20,
      roundInterval: false,
      jitterMs: 0,
      defaultTags: {},
      instance,
      log: pino({ level: 'silent' }),
      stats: new InputStats(telemetry, id),
      signal: controller.signal,
    },
    sink,
  );
  return { input, telemetry };
}

describe('RunningInput under back-pressure', () => {
  it('should send what one gather pushed into a full pipeline one batch per room made', async () => {
    const sink = fullSink();
    const { input } = running(
      {
        gather: (acc) => {
          acc.push(batch(3));
          acc.push(batch(4));
          acc.push(batch(5));
        },
      },
      sink,
    );
    const done = input.gatherOnce();
    await tick();
    expect(sink.pushed).toEqual([]);
    sink.room();
    await tick();
    expect(sink.pushed).toEqual([3]);
    sink.room();
    await tick();
    expect(sink.pushed).toEqual([3, 4]);
    sink.room();
    await done;
    expect(sink.pushed).toEqual([3, 4, 5]);
  });

  it('should skip scheduled gathers while the pipeline is full, and count them', async () => {
    const sink = fullSink();
    let gathers = 0;
    const { input, telemetry } = running({ gather: () => void gathers++ }, sink);
    await input.start();
    const end = Date.now() + 5000;
    while (!/viva_input_gathers_skipped_total\{[^}]*\} [3-9]/.test(await telemetry.text())) {
      if (Date.now() > end) throw new Error('no gathers skipped');
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(gathers).toBe(0);
    await input.stop();
  });
});
