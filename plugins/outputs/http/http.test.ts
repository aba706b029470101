import http from 'node:http';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { WriteError } from '../../../core/model/errors/errors.ts';
import { Metric } from '../../../core/model/metric/metric.ts';
import { parseConfig, testContext } from '../../../core/plugin/testing.ts';
import { httpOutput } from './index.ts';

interface Seen {
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

const servers: http.Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});

async function server(
  reply: (seen: Seen, res: http.ServerResponse) => void,
): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const s = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const entry = { headers: req.headers, body: Buffer.concat(chunks) };
      seen.push(entry);
      reply(entry, res);
    });
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(s.address() as { port: number }).port}/write`, seen };
}

const metrics = [new Metric('cpu', { host: 'a' }, { usage: 1 }, 1000)];

async function output(table: Record<string, unknown>) {
  return httpOutput.create(parseConfig(httpOutput, table), testContext(httpOutput));
}

describe('http output', () => {
  it('should send gzip-compressed line protocol with a bearer token', async () => {
    const srv = await server((_s, res) => res.writeHead(204).end());
    const out = await output({
      url: srv.url,
      content_encoding: 'gzip',
      token: 's3cret',
      headers: { 'x-team': 'ops' },
    });
    await out.write(metrics);
    await out.close?.();
    expect(gunzipSync(srv.seen[0].body).toString()).toBe('cpu,host=a usage=1 1000000000\n');
    expect(srv.seen[0].headers.authorization).toBe('Bearer s3cret');
    expect(srv.seen[0].headers['x-team']).toBe('ops');
    expect(srv.seen[0].headers['content-encoding']).toBe('gzip');
  });

  it('should turn 503 with Retry-After into a retryable error carrying the delay', async () => {
    const srv = await server((_s, res) => res.writeHead(503, { 'retry-after': '7' }).end('busy'));
    const out = await output({ url: srv.url });
    const err = await out.write(metrics).catch((e: unknown) => e);
    await out.close?.();
    expect(err).toBeInstanceOf(WriteError);
    expect((err as WriteError).kind).toBe('retryable');
    expect((err as WriteError).retryAfterMs).toBe(7000);
  });

  it('should treat 400 as a permanent rejection of the batch', async () => {
    const srv = await server((_s, res) => res.writeHead(400).end('bad line'));
    const out = await output({ url: srv.url });
    const err = (await out.write(metrics).catch((e: unknown) => e)) as WriteError;
    await out.close?.();
    expect(err.kind).toBe('permanent');
    expect(err.message).toContain('HTTP 400: bad line');
  });

  it('should report an unreachable destination as retryable', async () => {
    const out = await output({ url: 'http://127.0.0.1:1/write', timeout: '1s' });
    const err = (await out.write(metrics).catch((e: unknown) => e)) as WriteError;
    await out.close?.();
    expect(err.kind).toBe('retryable');
  });
});
