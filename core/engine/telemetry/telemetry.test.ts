import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { Telemetry } from './telemetry.ts';

describe('Telemetry.monitorEventLoop', () => {
  it('should report a blocked event loop in viva_process_event_loop_delay_*_seconds', async () => {
    const t = new Telemetry('test');
    t.monitorEventLoop();
    // Let the monitor's timer run, then block the loop for 200 ms.
    await new Promise((r) => setTimeout(r, 50));
    const end = Date.now() + 200;
    while (Date.now() < end);
    await new Promise((r) => setTimeout(r, 50));
    const text = await t.text();
    const max = /^viva_process_event_loop_delay_max_seconds\{[^}]*\} ([\d.e-]+)/m.exec(text);
    expect(max).not.toBeNull();
    expect(Number(max?.[1])).toBeGreaterThan(0.15);
    expect(text).toContain('# TYPE viva_process_event_loop_delay_p99_seconds gauge');
    expect(text).toContain('# TYPE viva_process_event_loop_delay_p50_seconds gauge');
    expect(text).not.toContain('quantile=');
    await t.shutdown();
  });
});

describe('Telemetry exposition', () => {
  it('should sum counters per attribute set whatever the key order, and ignore negative values', async () => {
    const t = new Telemetry('test');
    const c = t.counter('viva_things', 'Things counted');
    c.add(3, { plugin: 'cpu', kind: 'input' });
    c.add(2, { kind: 'input', plugin: 'cpu' });
    c.add(-1, { plugin: 'cpu', kind: 'input' });
    c.add(1.5, { plugin: 'mem', kind: 'input' });
    const text = await t.text();
    expect(text).toContain('# TYPE viva_things_total counter');
    expect(text).toMatch(/^viva_things_total\{plugin="cpu",kind="input",otel_scope_name="viva"\} 5 \d+$/m);
    expect(text).toMatch(/^viva_things_total\{plugin="mem",kind="input",otel_scope_name="viva"\} 1.5 \d+$/m);
    expect(text).toMatch(/^target_info\{service_name="test"\} 1$/m);
  });

  it('should count a histogram value in the first bucket whose bound is at least the value', async () => {
    const t = new Telemetry('test');
    const h = t.histogram('viva_wait_seconds', 'Waits', [0.1, 1]);
    for (const v of [0.1, 0.5, 1, 2, -1]) h.record(v, { a: 'x' });
    const res = await serve(t);
    expect(res).toContain('# UNIT viva_wait_seconds s');
    expect(res).toContain('viva_wait_seconds_count{a="x"} 4\n');
    expect(res).toContain('viva_wait_seconds_sum{a="x"} 3.6\n');
    expect(res).toContain('viva_wait_seconds_bucket{a="x",le="0.1"} 1\n');
    expect(res).toContain('viva_wait_seconds_bucket{a="x",le="1"} 3\n');
    expect(res).toContain('viva_wait_seconds_bucket{a="x",le="+Inf"} 4\n');
  });

  it('should serve gauges at their last value and drop a removed one', async () => {
    const t = new Telemetry('test');
    const g = t.gauge('viva_buffer_size', 'Metrics in a buffer');
    g.set(5, { output: 'a' });
    g.set(7, { output: 'b' });
    g.set(6, { output: 'a' });
    expect(await serve(t)).toContain('viva_buffer_size{output="a"} 6\nviva_buffer_size{output="b"} 7\n');
    g.remove({ output: 'a' });
    const res = await serve(t);
    expect(res).not.toContain('output="a"');
    expect(res).toContain('viva_buffer_size{output="b"} 7\n');
    const snap = await t.snapshot();
    expect(snap.map((m) => [m.name, m.tags, m.fields])).toEqual([
      ['viva_buffer_size', { output: 'b' }, { value: 7 }],
    ]);
  });
});

/** GET /metrics from a server whose handler is Telemetry.handle, as the admin server routes it. */
async function serve(t: Telemetry): Promise<string> {
  const server = http.createServer((req, res) => t.handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain');
    return await res.text();
  } finally {
    server.close();
  }
}
