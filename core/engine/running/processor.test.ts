import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { Metric } from '../../model/metric/metric.ts';
import { Telemetry } from '../telemetry/telemetry.ts';
import { RunningProcessor } from './processor.ts';
import { ProcessorStats } from './stats.ts';

const id = { kind: 'processor' as const, name: 'keep_even', alias: undefined, label: 'processors.keep_even' };

describe('RunningProcessor', () => {
  it('should count what a processor got and gave when it filters the batch in place', async () => {
    const telemetry = new Telemetry('test');
    const p = new RunningProcessor({
      id,
      common: {},
      instance: {
        process: (ms) => {
          let k = 0;
          for (const m of ms) if ((m.fields.v as number) % 2 === 0) ms[k++] = m;
          ms.length = k;
          return ms;
        },
      },
      log: pino({ level: 'silent' }),
      stats: new ProcessorStats(telemetry, id),
    });
    const out = p.process(Array.from({ length: 10 }, (_, i) => new Metric('m', {}, { v: i }, 0)));
    expect(out).toHaveLength(5);
    const text = await telemetry.text();
    expect(text).toMatch(/viva_processor_in_total\{[^}]*\} 10\b/);
    expect(text).toMatch(/viva_processor_out_total\{[^}]*\} 5\b/);
  });
});
