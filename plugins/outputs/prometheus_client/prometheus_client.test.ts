import { afterEach, describe, expect, it } from 'vitest';
import { compileGlobs } from '../../../core/engine/filter/glob.ts';
import { renderExposition } from '../../../core/format/prometheus/exposition.ts';
import { Metric } from '../../../core/model/metric/metric.ts';
import { parseConfig, testContext } from '../../../core/plugin/testing.ts';
import type { Clock, PluginContext } from '../../../core/plugin/types.ts';
import { Telemetry } from '../../../core/engine/telemetry/telemetry.ts';
import { pino } from 'pino';
import { prometheusClientOutput } from './index.ts';
import type { PrometheusClientOutput } from './prometheus_client.ts';
import { SeriesRegistry } from './series.ts';

const text = (r: SeriesRegistry): string => renderExposition(r.families());

describe('prometheus_client series', () => {
  it('should expose numeric and boolean fields as <measurement>_<field> gauges with tags as labels', () => {
    const r = new SeriesRegistry(compileGlobs(['*_total']));
    r.update(
      [new Metric('disk', { path: '/', 'dev.name': 'sda' }, { free: 10, ok: true, label: 'x' }, 1)],
      0,
    );
    expect(text(r)).toBe(
      [
        '# HELP disk_free Written by VIVA from disk.free.',
        '# TYPE disk_free gauge',
        'disk_free{dev_name="sda",path="/"} 10',
        '# HELP disk_ok Written by VIVA from disk.ok.',
        '# TYPE disk_ok gauge',
        'disk_ok{dev_name="sda",path="/"} 1',
        '',
      ].join('\n'),
    );
  });

  it('should type samples matching the counters globs as counters and keep the latest value', () => {
    const r = new SeriesRegistry(compileGlobs(['*_total']));
    r.update([new Metric('http', {}, { requests_total: 5 }, 1)], 0);
    r.update([new Metric('http', {}, { requests_total: 7 }, 2)], 1);
    expect(text(r)).toContain('# TYPE http_requests_total counter\nhttp_requests_total 7\n');
  });

  it('should expose bucket, sum and count fields as one histogram ordered by le', () => {
    const r = new SeriesRegistry(compileGlobs([]));
    const bucket = (le: string, n: number): Metric =>
      new Metric('prometheus', { le, path: '/a' }, { latency_seconds_bucket: n }, 1);
    r.update(
      [
        bucket('+Inf', 9),
        bucket('0.5', 4),
        bucket('0.1', 1),
        new Metric('prometheus', { path: '/a' }, { latency_seconds_sum: 2.5, latency_seconds_count: 9 }, 1),
      ],
      0,
    );
    expect(text(r)).toBe(
      [
        '# HELP latency_seconds Written by VIVA from prometheus.latency_seconds_bucket.',
        '# TYPE latency_seconds histogram',
        'latency_seconds_bucket{le="0.1",path="/a"} 1',
        'latency_seconds_bucket{le="0.5",path="/a"} 4',
        'latency_seconds_bucket{le="+Inf",path="/a"} 9',
        'latency_seconds_sum{path="/a"} 2.5',
        'latency_seconds_count{path="/a"} 9',
        '',
      ].join('\n'),
    );
  });

  it('should forget series not written since the cutoff', () => {
    const r = new SeriesRegistry(compileGlobs([]));
    r.update([new Metric('a', {}, { v: 1 }, 1)], 0);
    r.update([new Metric('b', {}, { v: 1 }, 1)], 100);
    r.expire(50);
    expect(r.families().map((f) => f.name)).toEqual(['b_v']);
  });
});

describe('prometheus_client endpoint', () => {
  let out: PrometheusClientOutput | undefined;
  afterEach(async () => {
    await out?.close();
    out = undefined;
  });

  async function start(
    table: Record<string, unknown>,
    clock?: Clock,
    seen?: { telemetry: Telemetry; lines: Record<string, unknown>[] },
  ): Promise<string> {
    const base = testContext(prometheusClientOutput, { clock, telemetry: seen?.telemetry });
    const log = pino(
      { level: 'warn' },
      { write: (s: string) => seen?.lines.push(JSON.parse(s) as Record<string, unknown>) },
    );
    const ctx = seen === undefined ? base : Object.assign(Object.create(base) as PluginContext, { log });
    out = (await prometheusClientOutput.create(
      parseConfig(prometheusClientOutput, { listen: '127.0.0.1:0', ...table }),
      ctx,
    )) as PrometheusClientOutput;
    await out.connect();
    return `http://127.0.0.1:${String(out.port)}`;
  }

  it('should serve the text format on the path and 404 elsewhere', async () => {
    const base = await start({});
    await out?.write([new Metric('cpu', { host: 'a' }, { usage: 0.5 }, 1)]);
    const res = await fetch(`${base}/metrics`);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(await res.text()).toContain('cpu_usage{host="a"} 0.5\n');
    expect((await fetch(`${base}/other`)).status).toBe(404);
  });

  it('should require basic auth when configured', async () => {
    const base = await start({ basic_username: 'prom', basic_password: 'secret' });
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    const ok = await fetch(`${base}/metrics`, {
      headers: { authorization: 'Basic ' + Buffer.from('prom:secret').toString('base64') },
    });
    expect(ok.status).toBe(200);
  });

  it('should count and log (throttled) refused scrapes with VIVA_ERR_AUTH, never the credentials', async () => {
    const seen = { telemetry: new Telemetry('viva-test'), lines: [] as Record<string, unknown>[] };
    const base = await start({ basic_username: 'prom', basic_password: 'secret' }, undefined, seen);
    const wrong = { authorization: 'Basic ' + Buffer.from('prom:hunter2-wrong').toString('base64') };
    expect((await fetch(`${base}/metrics`, { headers: wrong })).status).toBe(401);
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    const failures = (await seen.telemetry.snapshot()).filter(
      (m) => m.name === 'viva_output_prometheus_client_auth_failures',
    );
    expect(failures.map((m) => m.fields)).toEqual([{ value: 2 }]);
    const warned = seen.lines.filter((l) => l.code === 'VIVA_ERR_AUTH');
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatchObject({ path: '/metrics', msg: 'unauthorized request' });
    const all = JSON.stringify(seen.lines);
    expect(all).not.toContain('hunter2');
    expect(all).not.toContain(wrong.authorization);
  });

  it('should drop series older than expiration_interval at scrape time', async () => {
    let now = 0;
    const base = await start({ expiration_interval: '10s' }, { now: () => Date.now(), monotonic: () => now });
    await out?.write([new Metric('old', {}, { v: 1 }, 1)]);
    now = 5_000;
    await out?.write([new Metric('new', {}, { v: 1 }, 1)]);
    now = 12_000;
    const body = await (await fetch(`${base}/metrics`)).text();
    expect(body).not.toContain('old_v');
    expect(body).toContain('new_v 1');
  });

  it('should write timestamps when export_timestamp is set', async () => {
    const base = await start({ export_timestamp: true });
    await out?.write([new Metric('t', {}, { v: 2 }, 1_700_000_000_123, 999)]);
    expect(await (await fetch(`${base}/metrics`)).text()).toContain('t_v 2 1700000000123\n');
  });
});
