import { describe, expect, it } from 'vitest';
import { gatherOnce, testContext } from '../../../core/plugin/testing.ts';
import { Telemetry } from '../../../core/engine/telemetry/telemetry.ts';
import { internalInput } from './index.ts';

describe('internal input', () => {
  it("should report VIVA's self-metrics with their attributes as tags, and process memory", async () => {
    const telemetry = new Telemetry('test');
    telemetry.counter('viva_output_written', 'x').add(42, { plugin: 'file', alias: 'main', kind: 'output' });
    const acc = await gatherOnce(internalInput, {}, testContext(internalInput, { telemetry }));
    const written = acc.metrics.find((m) => m.name === 'viva_output_written');
    expect(written?.tags).toEqual({ plugin: 'file', alias: 'main', kind: 'output' });
    expect(written?.fields).toEqual({ value: 42 });
    const proc = acc.metrics.find((m) => m.name === 'viva_process');
    expect(proc?.fieldType('rss_bytes')).toBe('int');
    expect(proc?.fields.rss_bytes as number).toBeGreaterThan(1_000_000);
  });

  it('should leave process memory out when collect_memstats is false', async () => {
    const acc = await gatherOnce(internalInput, { collect_memstats: false });
    expect(acc.metrics.some((m) => m.name === 'viva_process')).toBe(false);
  });
});
