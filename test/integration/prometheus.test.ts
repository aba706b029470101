/**
 * The prometheus_client and prometheus_remote_write outputs against the real Prometheus: the
 * endpoint passes `promtool check metrics` and is scraped with health up; remote-written samples
 * are read back with PromQL.
 */
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { Metric } from '../../core/model/metric/metric.ts';
import { parseConfig, testContext } from '../../core/plugin/testing.ts';
import type { OutputInstance } from '../../core/plugin/types.ts';
import { prometheusClientOutput } from '../../plugins/outputs/prometheus_client/index.ts';
import { prometheusRemoteWriteOutput } from '../../plugins/outputs/prometheus_remote_write/index.ts';
import { readServicesEnv, serviceAddresses } from '../setup/services.ts';
import { waitFor } from '../helpers/viva.ts';

const prometheus = (): string => serviceAddresses().prometheusUrl;
const open: OutputInstance[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) await o.close?.();
});

/** Pipes text into `promtool check metrics`; resolves with its exit code and output. */
function promtoolCheck(text: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, output }));
    child.stdin.end(text);
  });
}

interface VectorResult {
  metric: Record<string, string>;
  value: [number, string];
}

async function promQuery(query: string): Promise<VectorResult[]> {
  const res = await fetch(`${prometheus()}/api/v1/query?query=${encodeURIComponent(query)}`);
  const body = (await res.json()) as { status: string; data: { result: VectorResult[] } };
  expect(body.status).toBe('success');
  return body.data.result;
}

const unique = (): string => `${Date.now()}_${Math.floor(Math.random() * 1e6)}`;

/** Metrics shaped as users send them: gauges, a counter, a histogram, awkward names and labels. */
function sampleMetrics(run: string): Metric[] {
  const now = Date.now();
  const mem = new Metric(
    'viva_it_mem',
    { host: 'web-1', 'data.center': 'eu "west"\\1' },
    { used_bytes: 1.5e9, ok: true, state: 'fine' },
    now,
  );
  const requests = new Metric('viva_it_http', { host: 'web-1', run }, {}, now);
  requests.setInt('requests_total', 42);
  const bucket = (le: string, n: number): Metric => {
    const m = new Metric('prometheus', { le, run }, {}, now);
    m.setInt('viva_it_latency_seconds_bucket', n);
    return m;
  };
  const sum = new Metric('prometheus', { run }, { viva_it_latency_seconds_sum: 3.25 }, now);
  sum.setInt('viva_it_latency_seconds_count', 9);
  return [mem, requests, bucket('0.1', 2), bucket('1', 7), bucket('+Inf', 9), sum];
}

describe('prometheus_client output', () => {
  it('should serve metrics that pass promtool check metrics and that Prometheus scrapes', async () => {
    const port = readServicesEnv().VIVA_PROMETHEUS_CLIENT_PORT;
    const out = await prometheusClientOutput.create(
      parseConfig(prometheusClientOutput, { listen: `127.0.0.1:${port}` }),
      testContext(prometheusClientOutput),
    );
    await out.connect?.();
    open.push(out);
    const run = unique();
    await out.write(sampleMetrics(run));

    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(text).toContain('# TYPE viva_it_latency_seconds histogram');
    expect(text).toContain('# TYPE viva_it_http_requests_total counter');
    expect(text).toContain('data_center="eu \\"west\\"\\\\1"');
    const check = await promtoolCheck(text);
    expect(check.output).toBe('');
    expect(check.code).toBe(0);

    // Prometheus scrapes this endpoint (job viva-prometheus-client, every 5 s).
    const up = await waitFor(
      async () => {
        const r = await promQuery(`viva_it_http_requests_total{run="${run}"}`);
        return r.length === 1 ? r : undefined;
      },
      'Prometheus to scrape the prometheus_client endpoint',
      30_000,
      500,
    );
    expect(up[0].metric.job).toBe('viva-prometheus-client');
    expect(up[0].value[1]).toBe('42');
    const targets = (await (await fetch(`${prometheus()}/api/v1/targets`)).json()) as {
      data: { activeTargets: { labels: { job: string }; health: string }[] };
    };
    expect(targets.data.activeTargets.find((t) => t.labels.job === 'viva-prometheus-client')?.health).toBe(
      'up',
    );
    const p50 = await promQuery(`histogram_quantile(0.5, viva_it_latency_seconds_bucket{run="${run}"})`);
    expect(Number(p50[0].value[1])).toBeGreaterThan(0.1);
  });
});

describe('prometheus_remote_write output', () => {
  async function output(table: Record<string, unknown> = {}): Promise<OutputInstance> {
    const out = await prometheusRemoteWriteOutput.create(
      parseConfig(prometheusRemoteWriteOutput, { url: `${prometheus()}/api/v1/write`, ...table }),
      testContext(prometheusRemoteWriteOutput),
    );
    await out.connect?.();
    open.push(out);
    return out;
  }

  it('should land samples in Prometheus that PromQL reads back', async () => {
    const run = unique();
    const out = await output();
    const now = Date.now();
    const points = [0, 1, 2].map(
      (i) =>
        new Metric(
          'viva_rw',
          { run, host: 'h "1"' },
          { temp: 20 + i, on: i % 2 === 0 },
          now - 3000 + i * 1000,
        ),
    );
    await out.write(points);
    const temp = await waitFor(
      async () => {
        const r = await promQuery(`viva_rw_temp{run="${run}"}`);
        return r.length === 1 ? r : undefined;
      },
      'remote-written sample to be queryable',
      15_000,
      250,
    );
    expect(temp[0].metric).toEqual({ __name__: 'viva_rw_temp', run, host: 'h "1"' });
    expect(temp[0].value[1]).toBe('22');
    const count = await promQuery(`count_over_time(viva_rw_temp{run="${run}"}[1m])`);
    expect(count[0].value[1]).toBe('3');
    expect((await promQuery(`viva_rw_on{run="${run}"}`))[0].value[1]).toBe('1');
  });

  it('should treat samples Prometheus refuses as too old as a permanent error', async () => {
    const out = await output();
    const old = new Metric('viva_rw_old', { run: unique() }, { v: 1 }, Date.now() - 6 * 3600_000);
    await expect(out.write([old])).rejects.toMatchObject({ kind: 'permanent' });
  });

  it('should be retryable while the receiver is unreachable', async () => {
    const out = await output({ url: 'http://127.0.0.1:1/api/v1/write', timeout: '1s' });
    await expect(out.write([new Metric('x', {}, { v: 1 }, Date.now())])).rejects.toMatchObject({
      kind: 'retryable',
    });
  });
});
