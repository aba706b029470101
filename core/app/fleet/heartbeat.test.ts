import { describe, expect, it } from 'vitest';
import { OutputStats, InputStats, ProcessorStats } from '../../engine/running/stats.ts';
import { Telemetry } from '../../engine/telemetry/telemetry.ts';
import { telemetryTotals, vivaVersion } from './heartbeat.ts';

const id = (kind: 'input' | 'output' | 'processor', name: string) => ({
  kind,
  name,
  alias: undefined,
  label: `${kind}s.${name}`,
});

describe('heartbeat figures', () => {
  it('should read metrics in, out and errors from the self-telemetry the wrappers record', async () => {
    const t = new Telemetry();
    const a = new InputStats(t, id('input', 'cpu'));
    const b = new InputStats(t, id('input', 'mem'));
    const o = new OutputStats(t, id('output', 'file'));
    const p = new ProcessorStats(t, id('processor', 'rename'));
    a.gathered(10);
    b.gathered(5);
    a.error();
    o.written(12);
    o.error('retryable');
    o.error('permanent');
    p.error();
    p.processed(15, 15);
    expect(await telemetryTotals(t)).toEqual({ metricsIn: 15, metricsOut: 12, errors: 4 });
    await t.shutdown();
  });

  it('should know the version VIVA reports', () => {
    expect(vivaVersion()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
