import { afterEach, describe, expect, it } from 'vitest';
import {
  REMOTE_WRITE_HEADERS,
  encodeWriteRequest,
  remoteWriteBody,
  type TimeSeries,
} from '../../../core/format/prometheus/remotewrite.ts';
import { snappyCompress } from '../../../core/format/prometheus/snappy.ts';
import { parseConfig, testContext, TestAccumulator } from '../../../core/plugin/testing.ts';
import { prometheusRemoteWriteInput } from './index.ts';
import { PrometheusRemoteWriteListener } from './prometheus_remote_write.ts';

const running: PrometheusRemoteWriteListener[] = [];
afterEach(async () => {
  for (const l of running.splice(0)) await l.stop();
});

async function listen(
  table: Record<string, unknown> = {},
): Promise<{ acc: TestAccumulator; url: string; base: string }> {
  const ctx = testContext(prometheusRemoteWriteInput);
  const listener = new PrometheusRemoteWriteListener(
    parseConfig(prometheusRemoteWriteInput, { service_address: '127.0.0.1:0', ...table }),
    ctx,
  );
  const acc = new TestAccumulator();
  await listener.start(acc);
  running.push(listener);
  const base = `http://127.0.0.1:${listener.port}`;
  return { acc, base, url: `${base}/api/v1/write` };
}

async function post(
  url: string,
  body: Buffer,
  headers: Record<string, string> = { ...REMOTE_WRITE_HEADERS },
): Promise<{ status: number; text: string; headers: Headers }> {
  const res = await fetch(url, { method: 'POST', body, headers });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

const T = 1_764_140_000_123;
/** A Prometheus staleness marker: a NaN with its own bit pattern. */
const STALE = new Float64Array(new BigUint64Array([0x7ff0000000000002n]).buffer)[0];

const series: TimeSeries[] = [
  {
    labels: [
      ['__name__', 'go_gc_duration_seconds'],
      ['instance', 'localhost:9090'],
      ['job', 'prometheus'],
      ['quantile', '0.99'],
    ],
    samples: [
      { value: 4.63e-5, timeMs: T },
      { value: 5.1e-5, timeMs: T + 15_000 },
    ],
  },
  {
    labels: [
      ['__name__', 'up'],
      ['job', 'node'],
    ],
    samples: [
      { value: STALE, timeMs: T },
      { value: NaN, timeMs: T + 1 },
      { value: 1, timeMs: T + 2 },
    ],
  },
];

const rows = (acc: TestAccumulator) =>
  acc.metrics.map((m) => ({ name: m.name, tags: m.tags, fields: m.fields, time: [m.timeMs, m.timeNs] }));

describe('prometheus_remote_write input', () => {
  it('should turn a remote write body into metrics named prometheus_remote_write, one field per sample', async () => {
    const { acc, url } = await listen();
    const res = await post(url, remoteWriteBody(series));
    expect(res.status).toBe(204);
    const gc = { instance: 'localhost:9090', job: 'prometheus', quantile: '0.99' };
    expect(rows(acc)).toEqual([
      {
        name: 'prometheus_remote_write',
        tags: gc,
        fields: { go_gc_duration_seconds: 4.63e-5 },
        time: [T, 0],
      },
      {
        name: 'prometheus_remote_write',
        tags: gc,
        fields: { go_gc_duration_seconds: 5.1e-5 },
        time: [T + 15_000, 0],
      },
      // The staleness marker and the NaN carry no value: dropped.
      { name: 'prometheus_remote_write', tags: { job: 'node' }, fields: { up: 1 }, time: [T + 2, 0] },
    ]);
    expect(acc.batches).toHaveLength(1);
    expect(acc.rejects).toEqual([]);
  });

  it('should name the measurement after __name__ with a value field under metric_version 1', async () => {
    const { acc, url } = await listen({ metric_version: 1 });
    expect((await post(url, remoteWriteBody(series))).status).toBe(204);
    expect(rows(acc).map((r) => [r.name, r.fields])).toEqual([
      ['go_gc_duration_seconds', { value: 4.63e-5 }],
      ['go_gc_duration_seconds', { value: 5.1e-5 }],
      ['up', { value: 1 }],
    ]);
  });

  it('should keep a label named __proto__ as a tag', async () => {
    const { acc, url } = await listen();
    const odd: TimeSeries = {
      labels: [
        ['__name__', 'm'],
        ['__proto__', 'x'],
      ],
      samples: [{ value: 2, timeMs: T }],
    };
    expect((await post(url, remoteWriteBody([odd]))).status).toBe(204);
    expect(Object.entries(acc.metrics[0].tags)).toEqual([['__proto__', 'x']]);
    expect(Object.getPrototypeOf(acc.metrics[0].tags)).toBe(Object.prototype);
  });

  it('should answer 400 to a body that is not Snappy, and count it', async () => {
    const { acc, url } = await listen();
    const res = await post(url, encodeWriteRequest(series).subarray(0, 40));
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/^invalid remote write body: snappy: .+\n$/);
    expect(acc.metrics).toHaveLength(0);
    expect(acc.rejects).toEqual([
      {
        reason: 'invalid remote write body',
        count: 1,
        detail: expect.objectContaining({ code: 'VIVA_ERR_PARSE' }),
      },
    ]);
  });

  it('should answer 400 naming where a truncated WriteRequest breaks off', async () => {
    const { acc, url } = await listen();
    const res = await post(url, snappyCompress(encodeWriteRequest(series).subarray(0, 50)));
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/^invalid remote write body: remote write: timeseries\[0\].* at byte \d+\n$/);
    expect(acc.rejects.map((r) => r.reason)).toEqual(['invalid remote write body']);
  });

  it('should keep the good series and name those without a metric name in a 400', async () => {
    const { acc, url } = await listen();
    const nameless: TimeSeries = { labels: [['job', 'x']], samples: [{ value: 3, timeMs: T }] };
    const res = await post(url, remoteWriteBody([nameless, series[0]]));
    expect(res.status).toBe(400);
    expect(res.text).toBe('1 of 2 series rejected: timeseries[0]: no __name__ label\n');
    expect(acc.metrics).toHaveLength(2);
    expect(acc.rejects).toEqual([
      { reason: 'invalid series', count: 1, detail: expect.objectContaining({ series: [0] }) },
    ]);
  });

  it('should count native histograms it does not convert and still accept the request', async () => {
    const { acc, url } = await listen();
    // TimeSeries { labels: [__name__="h"], histograms: [{ count_int = 5 }] }
    const label = Buffer.from([0x0a, 0x08, ...Buffer.from('__name__'), 0x12, 0x01, 0x68]);
    const ts = Buffer.concat([
      Buffer.from([0x0a, label.length]),
      label,
      Buffer.from([0x22, 0x02, 0x08, 0x05]),
    ]);
    const req = Buffer.concat([Buffer.from([0x0a, ts.length]), ts]);
    expect((await post(url, snappyCompress(req))).status).toBe(204);
    expect(acc.rejects).toEqual([
      {
        reason: 'native histograms not supported',
        count: 1,
        detail: expect.objectContaining({ samples: 1 }),
      },
    ]);
  });

  it('should require the token or basic credentials when configured, and count refusals', async () => {
    const { acc, url } = await listen({ token: 'tok' });
    const body = remoteWriteBody(series);
    const without = await post(url, body);
    expect(without.status).toBe(401);
    expect(without.headers.get('www-authenticate')).toBe('Bearer');
    expect((await post(url, body, { ...REMOTE_WRITE_HEADERS, authorization: 'Bearer nope' })).status).toBe(
      401,
    );
    expect((await post(url, body, { ...REMOTE_WRITE_HEADERS, authorization: 'Bearer tok' })).status).toBe(
      204,
    );
    expect(acc.metrics).toHaveLength(3);
    expect(acc.rejects.map((r) => [r.reason, r.detail?.code])).toEqual([
      ['unauthorized request', 'VIVA_ERR_AUTH'],
      ['unauthorized request', 'VIVA_ERR_AUTH'],
    ]);

    const basic = await listen({ basic_username: 'prom', basic_password: 's3cret' });
    const auth = (u: string, p: string): Record<string, string> => ({
      ...REMOTE_WRITE_HEADERS,
      authorization: 'Basic ' + Buffer.from(`${u}:${p}`).toString('base64'),
    });
    expect((await post(basic.url, body, auth('prom', 'wrong'))).status).toBe(401);
    expect((await post(basic.url, body, auth('prom', 's3cret'))).status).toBe(204);
    expect(basic.acc.metrics).toHaveLength(3);
  });

  it('should answer 413 to a body over max_body_size, compressed or once decompressed', async () => {
    const { acc, url } = await listen({ max_body_size: 2048 });
    const many: TimeSeries[] = Array.from({ length: 200 }, (_, i) => ({
      labels: [
        ['__name__', 'metric_with_a_long_name_total'],
        ['instance', `host-${i}`],
      ],
      samples: [{ value: i, timeMs: T }],
    }));
    // Compresses well under 2 KiB but decompresses past it.
    const small = remoteWriteBody(many.slice(0, 60));
    expect(small.length).toBeLessThan(2048);
    const res = await post(url, small);
    expect(res.status).toBe(413);
    expect(res.text).toBe('body exceeds max_body_size (2048 bytes)\n');
    // Past it already on the wire (random label values do not compress).
    const noisy = many.map((s, i) => ({
      ...s,
      labels: [...s.labels, ['r', Math.random().toString(36) + i]],
    }));
    expect((await post(url, remoteWriteBody(noisy as TimeSeries[]))).status).toBe(413);
    expect(acc.metrics).toHaveLength(0);
    expect(acc.rejects.map((r) => r.reason)).toEqual(['body too large', 'body too large']);
  });

  it('should answer 415 to another content type, encoding or remote write 2.0 message', async () => {
    const { acc, url } = await listen();
    const body = remoteWriteBody(series);
    const cases: [Record<string, string>, RegExp][] = [
      [
        { 'content-type': 'application/json', 'content-encoding': 'snappy' },
        /Content-Type "application\/json"/,
      ],
      [{ 'content-type': 'application/x-protobuf' }, /Content-Encoding ""/],
      [{ 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' }, /Content-Encoding "gzip"/],
      [
        {
          'content-type': 'application/x-protobuf;proto=io.prometheus.write.v2.Request',
          'content-encoding': 'snappy',
        },
        /protobuf message "io.prometheus.write.v2.request"/,
      ],
    ];
    for (const [headers, message] of cases) {
      const res = await post(url, body, headers);
      expect(res.status).toBe(415);
      expect(res.text).toMatch(message);
    }
    const v1 = {
      'content-type': 'application/x-protobuf;proto=prometheus.WriteRequest',
      'content-encoding': 'snappy',
    };
    expect((await post(url, body, v1)).status).toBe(204);
    expect(acc.rejects.map((r) => r.reason)).toEqual(Array(4).fill('unsupported media type'));
  });

  it('should answer 429 with Retry-After while the pipeline pushes back, and accept again after', async () => {
    const { acc, url } = await listen({ retry_after: '3s', backpressure_wait: '0s' });
    acc.saturated = true;
    const res = await post(url, remoteWriteBody(series));
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('3');
    expect(acc.rejects.map((r) => r.reason)).toEqual(['backpressure']);
    acc.release();
    expect((await post(url, remoteWriteBody(series))).status).toBe(204);
    expect(acc.metrics).toHaveLength(3);
  });

  it('should hold a write while the pipeline is full and accept it once there is room (backpressure_wait)', async () => {
    const { acc, url } = await listen({ backpressure_wait: '5s' });
    acc.saturated = true;
    let waits = 0;
    const wait = acc.waitForCapacity.bind(acc);
    acc.waitForCapacity = () => {
      waits++;
      return wait();
    };
    const answer = post(url, remoteWriteBody(series));
    for (const end = Date.now() + 5000; waits === 0;) {
      if (Date.now() > end) throw new Error('the request was not held');
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(acc.metrics).toHaveLength(0);
    acc.release();
    expect((await answer).status).toBe(204);
    expect(acc.metrics).toHaveLength(3);
    expect(acc.rejects).toEqual([]);
  });

  it('should serve only POST on its path', async () => {
    const { base } = await listen({ path: '/receive' });
    expect((await post(`${base}/receive`, remoteWriteBody(series))).status).toBe(204);
    expect((await post(`${base}/api/v1/write`, remoteWriteBody(series))).status).toBe(404);
    const get = await fetch(`${base}/receive`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
  });
});
