import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig, testContext, TestAccumulator } from '../../../core/plugin/testing.ts';
import { parseExposition } from './exposition.ts';
import { prometheusInput } from './index.ts';
import { PrometheusInput } from './prometheus.ts';

const NOW = 1_764_140_000_000;

const EXPOSITION = `# HELP http_requests_total The total number of HTTP requests.
# TYPE http_requests_total counter
http_requests_total{method="post",code="200"} 1027 1395066363000
http_requests_total{method="post",code="400"}    3 1395066363000

# A comment.
# TYPE temperature gauge
temperature{room="a \\"big\\" one\\\\",note="line\\nbreak"} -3.5
# TYPE loose untyped
loose NaN
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.05"} 24054
http_request_duration_seconds_bucket{le="0.5"} 129389
http_request_duration_seconds_bucket{le="+Inf"} 144320
http_request_duration_seconds_sum 53423
http_request_duration_seconds_count 144320
# TYPE rpc_duration_seconds summary
rpc_duration_seconds{quantile="0.5"} 4773
rpc_duration_seconds{quantile="0.99"} +Inf
rpc_duration_seconds_sum 1.7560473e+07
rpc_duration_seconds_count 2693
`;

const servers: http.Server[] = [];
const inputs: PrometheusInput[] = [];
afterEach(async () => {
  for (const i of inputs.splice(0)) await i.stop();
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

async function serve(handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
}

async function scrape(table: Record<string, unknown>): Promise<TestAccumulator> {
  const ctx = testContext(prometheusInput, { clock: { now: () => NOW, monotonic: () => 0 } });
  const input = new PrometheusInput(parseConfig(prometheusInput, table), ctx);
  inputs.push(input);
  const acc = new TestAccumulator();
  await input.gather(acc);
  return acc;
}

describe('prometheus input', () => {
  it('should turn counters, gauges, histograms and summaries into metric_version 2 metrics', async () => {
    const url = await serve((_req, res) => res.end(EXPOSITION));
    const acc = await scrape({ urls: [url] });
    const lines = acc.metrics.map((m) => [m.tags, m.fields, m.timeMs]);
    const u = { url };
    expect(acc.metrics.every((m) => m.name === 'prometheus')).toBe(true);
    expect(lines).toEqual([
      [{ method: 'post', code: '200', ...u }, { http_requests_total: 1027 }, 1395066363000],
      [{ method: 'post', code: '400', ...u }, { http_requests_total: 3 }, 1395066363000],
      [{ room: 'a "big" one\\', note: 'line\nbreak', ...u }, { temperature: -3.5 }, NOW],
      [u, { loose: NaN }, NOW],
      [{ le: '0.05', ...u }, { http_request_duration_seconds_bucket: 24054 }, NOW],
      [{ le: '0.5', ...u }, { http_request_duration_seconds_bucket: 129389 }, NOW],
      [{ le: '+Inf', ...u }, { http_request_duration_seconds_bucket: 144320 }, NOW],
      [u, { http_request_duration_seconds_sum: 53423, http_request_duration_seconds_count: 144320 }, NOW],
      [{ quantile: '0.5', ...u }, { rpc_duration_seconds: 4773 }, NOW],
      [{ quantile: '0.99', ...u }, { rpc_duration_seconds: Infinity }, NOW],
      [u, { rpc_duration_seconds_sum: 1.7560473e7, rpc_duration_seconds_count: 2693 }, NOW],
    ]);
    expect(acc.rejects).toHaveLength(0);
  });

  it('should reject bad lines by line number and keep the rest of the scrape', async () => {
    const url = await serve((_req, res) => res.end('good 1\nbad{x="1" 2\nalso_good 3\nworse abc\n'));
    const acc = await scrape({ urls: [url], url_tag: '' });
    expect(acc.metrics.map((m) => m.fields)).toEqual([{ good: 1 }, { also_good: 3 }]);
    expect(acc.rejects).toHaveLength(1);
    expect(acc.rejects[0]).toMatchObject({
      reason: 'invalid exposition line',
      count: 2,
      detail: { lines: [2, 4] },
    });
  });

  it('should send the bearer token and fail the gather on an error status', async () => {
    let auth = '';
    const url = await serve((req, res) => {
      auth = req.headers.authorization ?? '';
      res.statusCode = 503;
      res.end('down');
    });
    await expect(scrape({ urls: [url], bearer_token: 's3cret' })).rejects.toThrow(/HTTP 503/);
    expect(auth).toBe('Bearer s3cret');
  });

  it('should give up on a response slower than response_timeout', async () => {
    const url = await serve(() => undefined);
    await expect(scrape({ urls: [url], response_timeout: '100ms' })).rejects.toThrow(/scrape failed/);
  });
});

describe('exposition parser', () => {
  it('should accept OpenMetrics exemplars and fractional-second timestamps', () => {
    const r = parseExposition('# TYPE x counter\nx_total 5 # {trace_id="a"} 1\ny 2 1700000000.5\n# EOF\n');
    expect(r.errors).toEqual([]);
    expect(r.samples.map((s) => [s.name, s.value, s.timestampMs])).toEqual([
      ['x_total', 5, null],
      ['y', 2, 1_700_000_000_500],
    ]);
  });

  it('should keep HELP text', () => {
    expect(parseExposition('# HELP a Some help\\nmore\n').help.get('a')).toBe('Some help\nmore');
  });
});
