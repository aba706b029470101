import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { Agent, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { Telemetry } from '../../engine/telemetry/telemetry.ts';
import { ErrorCode } from '../../model/errors/codes.ts';
import { HttpServer, splitHostPort, type HttpServerOptions } from './server.ts';

const TOKEN = 'server-test-token-5c1f';

const servers: HttpServer[] = [];
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of servers.splice(0)) await s.stop();
});

/** A server answering 200 "ok" to every authorized request; its log lines are kept. */
async function serve(opts: Partial<HttpServerOptions> = {}): Promise<{
  server: HttpServer;
  base: string;
  telemetry: Telemetry;
  lines: Record<string, unknown>[];
}> {
  const telemetry = new Telemetry('viva-test');
  const lines: Record<string, unknown>[] = [];
  const log = pino(
    { level: 'debug' },
    { write: (s: string) => lines.push(JSON.parse(s) as Record<string, unknown>) },
  );
  const server: HttpServer = new HttpServer({
    name: 'test',
    listen: '127.0.0.1:0',
    log,
    telemetry,
    handler: (req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (!server.authorize(req, res, url.searchParams)) return;
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 2 }).end('ok');
    },
    ...opts,
  });
  await server.start();
  servers.push(server);
  const scheme = opts.tls !== undefined ? 'https' : 'http';
  return { server, base: `${scheme}://127.0.0.1:${String(server.port)}`, telemetry, lines };
}

async function failures(telemetry: Telemetry): Promise<unknown[]> {
  return (await telemetry.snapshot())
    .filter((m) => m.name === 'viva_http_auth_failures')
    .map((m) => [m.tags, m.fields]);
}

/** A self-signed certificate for 127.0.0.1, made with openssl. */
function selfSigned(dir: string, name: string): { cert: string; key: string } {
  const cert = path.join(dir, `${name}.pem`);
  const key = path.join(dir, `${name}-key.pem`);
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1'].concat([
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ]),
    { stdio: 'ignore' },
  );
  return { cert, key };
}

/** Opens a raw connection and sends one keep-alive GET; resolves once the answer arrived. */
async function keepAliveGet(
  port: number,
  pathname = '/',
): Promise<{ socket: net.Socket; closed: Promise<void> }> {
  const socket = net.connect(port, '127.0.0.1');
  sockets.push(socket);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  let text = '';
  await new Promise<void>((resolve, reject) => {
    socket.on('data', (d: Buffer) => {
      text += d.toString();
      if (text.includes('\r\n\r\n') && text.endsWith('ok')) resolve();
    });
    socket.once('error', reject);
    socket.write(`GET ${pathname} HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n`);
  });
  return { socket, closed };
}

describe('HttpServer auth', () => {
  it('should pass the bearer token (also as Token) and refuse a wrong or missing one with a counted 401', async () => {
    const { base, telemetry, lines } = await serve({ credentials: { token: TOKEN } });
    expect((await fetch(base, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    expect((await fetch(base, { headers: { authorization: `Token ${TOKEN}` } })).status).toBe(200);
    const wrong = await fetch(`${base}/write?x=1`, { headers: { authorization: 'Bearer wrong-secret-77' } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toBe('Bearer');
    expect(await wrong.json()).toEqual({ error: 'unauthorized' });
    expect((await fetch(base)).status).toBe(401);

    expect(await failures(telemetry)).toEqual([[{ server: 'test' }, { value: 2 }]]);
    const warned = lines.filter((l) => l.code === ErrorCode.AUTH);
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatchObject({ server: 'test', path: '/write', msg: 'unauthorized request' });
    const all = JSON.stringify(lines);
    expect(all).not.toContain('wrong-secret-77');
    expect(all).not.toContain(TOKEN);
  });

  it('should check basic credentials and the v1 u/p query params', async () => {
    const { base, telemetry } = await serve({ credentials: { username: 'u', password: 'pw' } });
    const basic = (user: string, pass: string) => ({
      authorization: 'Basic ' + Buffer.from(`${user}:${pass}`).toString('base64'),
    });
    expect((await fetch(base, { headers: basic('u', 'pw') })).status).toBe(200);
    expect((await fetch(`${base}/?u=u&p=pw`)).status).toBe(200);
    const wrong = await fetch(base, { headers: basic('u', 'nope') });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toBe('Basic realm="viva"');
    expect((await fetch(`${base}/?u=u&p=nope`)).status).toBe(401);
    expect(await failures(telemetry)).toEqual([[{ server: 'test' }, { value: 2 }]]);
  });

  it('should let every request pass when no credentials are configured', async () => {
    const { server, base } = await serve();
    expect(server.authRequired).toBe(false);
    expect((await fetch(base)).status).toBe(200);
  });

  it('should hand a refusal to onAuthFailure and sendUnauthorized when given', async () => {
    const seen: unknown[] = [];
    const { base, telemetry, lines } = await serve({
      credentials: { token: TOKEN },
      onAuthFailure: (f) => seen.push(f),
      logAuthFailures: false,
      sendUnauthorized: (res: ServerResponse, headers) => void res.writeHead(401, headers).end('no\n'),
    });
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(401);
    expect(await res.text()).toBe('no\n');
    expect(seen).toEqual([{ server: 'test', remote: '127.0.0.1', path: '/metrics' }]);
    expect(await failures(telemetry)).toEqual([]);
    expect(lines.filter((l) => l.code === ErrorCode.AUTH)).toEqual([]);
  });
});

describe('HttpServer TLS', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'viva-server-tls-'));
  const server = selfSigned(dir, 'server');
  const client = selfSigned(dir, 'client');

  it('should serve HTTPS with a self-signed certificate', async () => {
    const { base } = await serve({ tls: server });
    const dispatcher = new Agent({ connect: { ca: fs.readFileSync(server.cert) } });
    const res = await request(base, { dispatcher });
    expect(await res.body.text()).toBe('ok');
    await dispatcher.close();
    expect(res.statusCode).toBe(200);
  });

  it('should require a client certificate signed by clientCa', async () => {
    const { base } = await serve({ tls: { ...server, clientCa: client.cert } });
    const ca = fs.readFileSync(server.cert);
    const anonymous = new Agent({ connect: { ca } });
    await expect(request(base, { dispatcher: anonymous }).then((r) => r.body.text())).rejects.toThrow();
    await anonymous.close();
    const known = new Agent({
      connect: { ca, cert: fs.readFileSync(client.cert), key: fs.readFileSync(client.key) },
    });
    const res = await request(base, { dispatcher: known });
    expect(await res.body.text()).toBe('ok');
    await known.close();
  });
});

describe('HttpServer listening', () => {
  it('should split host:port, IPv6 in brackets, an empty host as every interface', () => {
    expect(splitHostPort('127.0.0.1:8186')).toEqual({ host: '127.0.0.1', port: 8186 });
    expect(splitHostPort('[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(splitHostPort(':9273')).toEqual({ host: '0.0.0.0', port: 9273 });
    expect(() => splitHostPort('localhost')).toThrow(/want host:port/);
  });

  it('should expose the bound port and address after start', async () => {
    const { server } = await serve();
    expect(server.port).toBeGreaterThan(0);
    expect(server.address()).toMatchObject({ address: '127.0.0.1', port: server.port });
  });

  it('should reject with a coded error naming the address when the port is taken', async () => {
    const { server } = await serve();
    const listen = `127.0.0.1:${String(server.port)}`;
    const second = new HttpServer({
      name: 'second',
      listen,
      log: pino({ level: 'silent' }),
      handler: () => {},
    });
    const err = await second.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({
      code: 'VIVA_ERR_LISTEN',
      message: `second: cannot listen on ${listen}: address already in use (EADDRINUSE)`,
    });
    const plugin = new HttpServer({
      name: 'inputs.http_listener',
      listen,
      log: pino({ level: 'silent' }),
      handler: () => {},
      errorCode: ErrorCode.PLUGIN_START,
    });
    await expect(plugin.start()).rejects.toMatchObject({ code: 'VIVA_ERR_PLUGIN_START' });
  });

  it('should close connections beyond maxConnections and report each', async () => {
    const drops: unknown[] = [];
    const { server } = await serve({ limits: { maxConnections: 1 }, onDrop: (remote) => drops.push(remote) });
    await keepAliveGet(server.port);
    const extra = net.connect(server.port, '127.0.0.1');
    sockets.push(extra);
    await new Promise<void>((resolve) => extra.once('close', () => resolve()));
    for (const end = Date.now() + 5000; drops.length === 0 && Date.now() < end;)
      await new Promise((r) => setImmediate(r));
    expect(drops).toEqual(['127.0.0.1']);
  });

  it('should answer 400 to a request it cannot parse', async () => {
    const { server } = await serve();
    const s = net.connect(server.port, '127.0.0.1');
    sockets.push(s);
    let text = '';
    s.on('data', (d: Buffer) => (text += d.toString()));
    const closed = new Promise<void>((resolve) => s.once('close', () => resolve()));
    s.write('NOT HTTP AT ALL\r\n\r\n');
    await closed;
    expect(text).toMatch(/^HTTP\/1\.1 400 Bad Request/);
  });
});

describe('HttpServer stop', () => {
  it('should end idle keep-alive connections without waiting for the grace period', async () => {
    const { server } = await serve();
    const { closed } = await keepAliveGet(server.port);
    // A grace far beyond the test timeout: stop must not wait for it.
    await server.stop(600_000);
    await closed;
    expect(server.address()).toBeUndefined();
  });

  /** A server whose handler holds each request until the test answers it. */
  async function holding(): Promise<{ server: HttpServer; arrived: Promise<ServerResponse> }> {
    let arrive: (res: ServerResponse) => void = () => {};
    const arrived = new Promise<ServerResponse>((resolve) => (arrive = resolve));
    const { server } = await serve({ handler: (_req: IncomingMessage, res: ServerResponse) => arrive(res) });
    return { server, arrived };
  }

  /** Sends one GET on a raw connection; collects what comes back. */
  function rawGet(port: number): { text: () => string; closed: Promise<void> } {
    const s = net.connect(port, '127.0.0.1');
    sockets.push(s);
    let text = '';
    s.on('data', (d: Buffer) => (text += d.toString()));
    const closed = new Promise<void>((resolve) => s.once('close', () => resolve()));
    s.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    return { text: () => text, closed };
  }

  it('should let a request in flight finish within the grace, then close its connection', async () => {
    const { server, arrived } = await holding();
    const client = rawGet(server.port);
    const res = await arrived;
    const stopped = server.stop(600_000);
    res.writeHead(200, { 'content-length': 2 }).end('ok');
    await stopped;
    await client.closed;
    expect(client.text()).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nok$/);
    expect(client.text()).toMatch(/\r\nconnection: close\r\n/i);
  });

  it('should destroy connections still busy when the grace period ends', async () => {
    const { server, arrived } = await holding();
    const client = rawGet(server.port);
    await arrived;
    await server.stop(100);
    await client.closed;
    expect(client.text()).toBe('');
  });
});
