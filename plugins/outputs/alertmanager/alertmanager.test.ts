import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { WriteError } from '../../../core/model/errors/errors.ts';
import { Metric } from '../../../core/model/metric/metric.ts';
import { parseConfig, testContext } from '../../../core/plugin/testing.ts';
import type { OutputInstance, PluginContext } from '../../../core/plugin/types.ts';
import { alertsUrl } from './alertmanager.ts';
import type { PostableAlert } from './alerts.ts';
import { alertmanagerOutput } from './index.ts';

interface Seen {
  url: string;
  headers: http.IncomingHttpHeaders;
  alerts: PostableAlert[];
}

const servers: http.Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});

/** A stand-in Alertmanager that records posts and answers as told. */
async function server(
  reply: (res: http.ServerResponse) => void = (res) => res.writeHead(200).end(),
): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const s = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const alerts = JSON.parse(Buffer.concat(chunks).toString()) as PostableAlert[];
      seen.push({ url: req.url ?? '', headers: req.headers, alerts });
      reply(res);
    });
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(s.address() as { port: number }).port}`, seen };
}

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);

/** An alert event as the alert processor emits it. */
function event(
  status: 'firing' | 'resolved',
  tags: Record<string, string> = {},
  extra: Record<string, string | number> = {},
): Metric {
  const m = new Metric(
    'alert',
    { host: 'web1', alertname: 'HighCpu', severity: 'critical', ...tags },
    { status, value: 95, annotation_summary: 'CPU busy on web1' },
    status === 'firing' ? T0 : T0 + 60_000,
  );
  m.setInt('starts_at', T0);
  if (status === 'resolved') m.setInt('ends_at', T0 + 60_000);
  for (const [k, v] of Object.entries(extra)) m.setField(k, v);
  return m;
}

async function output(
  table: Record<string, unknown>,
  ctx: PluginContext = testContext(alertmanagerOutput),
): Promise<OutputInstance> {
  const out = await alertmanagerOutput.create(parseConfig(alertmanagerOutput, table), ctx);
  await out.connect?.();
  return out;
}

async function failure(p: Promise<void>): Promise<WriteError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(WriteError);
  return e as WriteError;
}

describe('alertmanager output', () => {
  it('should post firing and resolved alerts built from alert events to /api/v2/alerts, ignoring other metrics', async () => {
    const am = await server();
    const ctx = testContext(alertmanagerOutput);
    const out = await output(
      {
        urls: [am.url],
        external_labels: { region: 'eu', host: 'not-this' },
        generator_url: 'http://grafana.example/d/cpu?var-host={{host}}',
        value_annotation: 'value',
      },
      ctx,
    );
    await out.write([event('firing'), new Metric('cpu', { host: 'web1' }, { usage: 95 }, T0)]);
    await out.write([event('resolved', { host: 'web2' })]);
    await out.close?.();
    expect(am.seen.map((s) => s.url)).toEqual(['/api/v2/alerts', '/api/v2/alerts']);
    expect(am.seen[0].headers['content-type']).toBe('application/json');
    expect(am.seen[0].alerts).toEqual([
      {
        labels: { host: 'web1', alertname: 'HighCpu', severity: 'critical', region: 'eu' },
        annotations: { summary: 'CPU busy on web1', value: '95' },
        startsAt: '2025-01-01T12:00:00.000Z',
        generatorURL: 'http://grafana.example/d/cpu?var-host=web1',
      },
    ]);
    expect(am.seen[1].alerts[0]).toMatchObject({
      labels: { host: 'web2' },
      startsAt: '2025-01-01T12:00:00.000Z',
      endsAt: '2025-01-01T12:01:00.000Z',
    });
    const self = await ctx.selfMetrics();
    const value = (name: string, status?: string): unknown =>
      self.find((m) => m.name === name && (status === undefined || m.tags.status === status))?.fields.value;
    expect(value('viva_output_alertmanager_ignored')).toBe(1);
    expect(value('viva_output_alertmanager_alerts', 'firing')).toBe(1);
    expect(value('viva_output_alertmanager_alerts', 'resolved')).toBe(1);
  });

  it('should send a firing alert with endsAt firing_ends_after ahead when set', async () => {
    const am = await server();
    const out = await output({ urls: [am.url], firing_ends_after: '4m' });
    const before = Date.now();
    await out.write([event('firing')]);
    await out.close?.();
    const endsAt = Date.parse(am.seen[0].alerts[0].endsAt ?? '');
    expect(endsAt).toBeGreaterThanOrEqual(before + 240_000);
    expect(endsAt).toBeLessThan(Date.now() + 241_000);
  });

  it('should send only the latest state of each alert in a batch and resolve the old severity on a severity change', async () => {
    const am = await server();
    const out = await output({ urls: [am.url] });
    const escalated = event('firing', { severity: 'critical' }, { previous_severity: 'warning' });
    await out.write([event('firing', { severity: 'warning' }), escalated, event('firing', { host: 'web2' })]);
    await out.close?.();
    expect(
      am.seen[0].alerts.map((a) => [
        a.labels.host,
        a.labels.severity,
        a.endsAt === undefined ? 'firing' : 'resolved',
      ]),
    ).toEqual([
      ['web1', 'warning', 'resolved'],
      ['web1', 'critical', 'firing'],
      ['web2', 'critical', 'firing'],
    ]);
  });

  it('should turn tag keys into valid label names and leave out empty values', async () => {
    const am = await server();
    const out = await output({ urls: [am.url] });
    await out.write([event('firing', { 'k8s.pod-name': 'api-1', '0zone': 'a', empty: '' })]);
    await out.close?.();
    expect(am.seen[0].alerts[0].labels).toEqual({
      host: 'web1',
      alertname: 'HighCpu',
      severity: 'critical',
      k8s_pod_name: 'api-1',
      _0zone: 'a',
    });
  });

  it('should write nothing when a batch holds no alert event', async () => {
    const am = await server();
    const out = await output({ urls: [am.url] });
    await out.write([new Metric('alert', { host: 'a' }, { status: 'pending' }, T0)]);
    await out.close?.();
    expect(am.seen).toEqual([]);
  });

  it('should fail over to the next url and keep using the one that answered', async () => {
    const down = await server((res) => res.writeHead(503).end('unavailable'));
    const up = await server();
    const out = await output({ urls: [down.url, up.url] });
    await out.write([event('firing')]);
    await out.write([event('resolved')]);
    await out.close?.();
    expect(down.seen).toHaveLength(1);
    expect(up.seen).toHaveLength(2);
  });

  it('should report 429 and 5xx as retryable with the Retry-After delay', async () => {
    const busy = await server((res) => res.writeHead(429, { 'retry-after': '7' }).end('slow down'));
    const out = await output({ urls: [busy.url] });
    const err = await failure(out.write([event('firing')]));
    await out.close?.();
    expect(err.kind).toBe('retryable');
    expect(err.retryAfterMs).toBe(7000);
    expect(err.message).toContain('Alertmanager answered 429: slow down');
  });

  it('should reject a batch Alertmanager calls invalid (400) for good', async () => {
    const am = await server((res) => res.writeHead(400).end('"start time must be before end time"'));
    const out = await output({ urls: [am.url] });
    const err = await failure(out.write([event('firing')]));
    await out.close?.();
    expect(err.kind).toBe('permanent');
  });

  it('should report an unreachable Alertmanager as retryable', async () => {
    const out = await output({ urls: ['http://127.0.0.1:1'], timeout: '1s' });
    const err = await failure(out.write([event('firing')]));
    await out.close?.();
    expect(err.kind).toBe('retryable');
  });

  it('should authenticate with a bearer token or basic auth', async () => {
    const am = await server();
    const bearer = await output({ urls: [am.url], token: 's3cret', headers: { 'x-team': 'ops' } });
    await bearer.write([event('firing')]);
    await bearer.close?.();
    const basic = await output({ urls: [am.url], username: 'viva', password: 'pw' });
    await basic.write([event('firing')]);
    await basic.close?.();
    expect(am.seen[0].headers.authorization).toBe('Bearer s3cret');
    expect(am.seen[0].headers['x-team']).toBe('ops');
    expect(am.seen[1].headers.authorization).toBe('Basic ' + Buffer.from('viva:pw').toString('base64'));
  });

  it('should append api/v2/alerts to a base url, keeping a path prefix', () => {
    expect(alertsUrl('http://am:9093')).toBe('http://am:9093/api/v2/alerts');
    expect(alertsUrl('http://am:9093/alertmanager/')).toBe('http://am:9093/alertmanager/api/v2/alerts');
    expect(alertsUrl('http://am:9093/api/v2/alerts')).toBe('http://am:9093/api/v2/alerts');
  });
});
