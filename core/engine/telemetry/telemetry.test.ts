import { describe, expect, it } from 'vitest';
import { Telemetry } from './telemetry.ts';

describe('Telemetry.monitorEventLoop', () => {
  it('should report a blocked event loop in viva_process_event_loop_delay_seconds', async () => {
    const t = new Telemetry('test');
    t.monitorEventLoop();
    // Let the monitor's timer run, then block the loop for 200 ms.
    await new Promise((r) => setTimeout(r, 50));
    const end = Date.now() + 200;
    while (Date.now() < end);
    await new Promise((r) => setTimeout(r, 50));
    const text = await t.text();
    const max = /viva_process_event_loop_delay_seconds\{quantile="max"[^}]*\} ([\d.e-]+)/.exec(text);
    expect(max).not.toBeNull();
    expect(Number(max?.[1])).toBeGreaterThan(0.15);
    expect(text).toContain('viva_process_event_loop_delay_seconds{quantile="0.99"');
    await t.shutdown();
  });
});
