import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { WriteError } from '../../../core/model/errors/errors.ts';
import { Metric } from '../../../core/model/metric/metric.ts';
import { parseConfig, testContext } from '../../../core/plugin/testing.ts';
import type { OutputInstance } from '../../../core/plugin/types.ts';
import { webhookOutput } from './index.ts';
import { fingerprint, type WebhookMessage } from './payload.ts';

interface Seen {
  headers: http.IncomingHttpHeaders;
  message: WebhookMessage;
}

const servers: http.Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});

/** A webhook receiver that records notifications; `reply` answers the n-th (0-based). */
async function receiver(
  reply: (n: number, res: http.ServerResponse) => void = (_n, res) => res.writeHead(200).end(),
): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const s = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({
        headers: req.headers,
        message: JSON.parse(Buffer.concat(chunks).toString()) as WebhookMessage,
      });
      reply(seen.length - 1, res);
    });
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(s.address() as { port: number }).port}/hook`, seen };
}

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);

function event(
  status: 'firing' | 'resolved',
  alertname: string,
  host: string,
  extra: Record<string, string> = {},
) {
  const m = new Metric(
    'alert',
    { host, alertname, severity: 'critical' },
    { status, value: 95, annotation_runbook: 'http://wiki/cpu' },
    T0,
  );
  m.setInt('starts_at', T0);
  if (status === 'resolved') m.setInt('ends_at', T0 + 60_000);
  for (const [k, v] of Object.entries(extra)) m.setField(k, v);
  return m;
}

async function output(table: Record<string, unknown>): Promise<OutputInstance> {
  const out = await webhookOutput.create(parseConfig(webhookOutput, table), testContext(webhookOutput));
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

describe('webhook output', () => {
  it('should post one Alertmanager webhook notification (version 4) per group of alerts', async () => {
    const hook = await receiver();
    const out = await output({ url: hook.url, receiver: 'ops', external_url: 'http://viva:8080' });
    await out.write([
      event('firing', 'HighCpu', 'web1'),
      event('resolved', 'HighCpu', 'web2'),
      new Metric('cpu', { host: 'web1' }, { usage: 1 }, T0),
    ]);
    await out.close?.();
    expect(hook.seen).toHaveLength(1);
    expect(hook.seen[0].headers['content-type']).toBe('application/json');
    const web1 = { host: 'web1', alertname: 'HighCpu', severity: 'critical' };
    const web2 = { ...web1, host: 'web2' };
    expect(hook.seen[0].message).toEqual({
      version: '4',
      groupKey: '{}:{alertname="HighCpu"}',
      truncatedAlerts: 0,
      status: 'firing',
      receiver: 'ops',
      groupLabels: { alertname: 'HighCpu' },
      commonLabels: { alertname: 'HighCpu', severity: 'critical' },
      commonAnnotations: { runbook: 'http://wiki/cpu' },
      externalURL: 'http://viva:8080',
      alerts: [
        {
          status: 'firing',
          labels: web1,
          annotations: { runbook: 'http://wiki/cpu' },
          startsAt: '2025-01-01T12:00:00.000Z',
          endsAt: '0001-01-01T00:00:00Z',
          generatorURL: '',
          fingerprint: fingerprint(web1),
        },
        {
          status: 'resolved',
          labels: web2,
          annotations: { runbook: 'http://wiki/cpu' },
          startsAt: '2025-01-01T12:00:00.000Z',
          endsAt: '2025-01-01T12:01:00.000Z',
          generatorURL: '',
          fingerprint: fingerprint(web2),
        },
      ],
    });
  });

  it("should compute Alertmanager's fingerprint of a label set", () => {
    // As Alertmanager 0.25 reported them for these label sets.
    expect(fingerprint({ alertname: 'ProbeX1' })).toBe('d092437dfb70c9ad');
    expect(fingerprint({ alertname: 'ProbeX2', host: 'wéb1', severity: 'critical' })).toBe(
      'cae14410d8732daa',
    );
  });

  it('should group by the group_by labels, one notification per alert with ["..."]', async () => {
    const hook = await receiver();
    const out = await output({ url: hook.url, group_by: ['...'] });
    await out.write([event('firing', 'HighCpu', 'web1'), event('firing', 'HighCpu', 'web2')]);
    await out.close?.();
    expect(hook.seen.map((s) => s.message.groupLabels.host)).toEqual(['web1', 'web2']);
  });

  it('should leave out resolved alerts with send_resolved = false and truncate to max_alerts', async () => {
    const hook = await receiver();
    const out = await output({ url: hook.url, send_resolved: false, max_alerts: 1 });
    await out.write([
      event('firing', 'HighCpu', 'web1'),
      event('firing', 'HighCpu', 'web2'),
      event('resolved', 'HighCpu', 'web3'),
      event('resolved', 'DiskFull', 'web1'),
    ]);
    await out.close?.();
    expect(hook.seen).toHaveLength(1);
    expect(hook.seen[0].message.alerts.map((a) => a.labels.host)).toEqual(['web1']);
    expect(hook.seen[0].message.truncatedAlerts).toBe(1);
  });

  it('should resolve the alert under its old severity when the severity changes', async () => {
    const hook = await receiver();
    const out = await output({ url: hook.url });
    await out.write([event('firing', 'HighCpu', 'web1', { previous_severity: 'warning' })]);
    await out.close?.();
    expect(hook.seen[0].message.alerts.map((a) => [a.labels.severity, a.status])).toEqual([
      ['warning', 'resolved'],
      ['critical', 'firing'],
    ]);
  });

  it('should retry only the events of the notifications not delivered', async () => {
    const hook = await receiver((n, res) =>
      n === 1 ? res.writeHead(503, { 'retry-after': '2' }).end('busy') : res.writeHead(200).end(),
    );
    const out = await output({ url: hook.url });
    const batch = [
      event('firing', 'HighCpu', 'web1'),
      event('firing', 'DiskFull', 'web1'),
      event('firing', 'MemLow', 'web1'),
    ];
    const err = await failure(out.write(batch));
    await out.close?.();
    expect(err.kind).toBe('partial');
    expect(err.retry).toEqual([1, 2]);
    expect(err.retryAfterMs).toBe(2000);
    expect(hook.seen.map((s) => s.message.groupLabels.alertname)).toEqual(['HighCpu', 'DiskFull']);
  });

  it('should reject a batch for good on 400 and retry it whole when nothing was delivered', async () => {
    const bad = await receiver((_n, res) => res.writeHead(400).end('bad payload'));
    let out = await output({ url: bad.url });
    expect((await failure(out.write([event('firing', 'HighCpu', 'web1')]))).kind).toBe('permanent');
    await out.close?.();
    out = await output({ url: 'http://127.0.0.1:1/hook', timeout: '1s' });
    expect((await failure(out.write([event('firing', 'HighCpu', 'web1')]))).kind).toBe('retryable');
    await out.close?.();
  });

  it('should authenticate with a bearer token', async () => {
    const hook = await receiver();
    const out = await output({ url: hook.url, token: 's3cret' });
    await out.write([event('firing', 'HighCpu', 'web1')]);
    await out.close?.();
    expect(hook.seen[0].headers.authorization).toBe('Bearer s3cret');
  });
});
