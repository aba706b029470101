import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { crc32, gunzipSync } from 'node:zlib';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeBatch } from '../../../core/format/binary/index.ts';
import { LineProtocolParser } from '../../../core/format/lineprotocol/parser.ts';
import { createSerializer } from '../../../core/format/registry.ts';
import { Telemetry } from '../../../core/engine/telemetry/telemetry.ts';
import { WriteError } from '../../../core/model/errors/errors.ts';
import { Metric } from '../../../core/model/metric/metric.ts';
import { parseConfig, testContext } from '../../../core/plugin/testing.ts';
import type { OutputInstance } from '../../../core/plugin/types.ts';
import { vivaOutput } from './index.ts';

/** One request as the collector saw it, body decoded. */
interface Seen {
  path: string;
  headers: http.IncomingHttpHeaders;
  /** The body after Content-Encoding, before decoding. */
  raw: Buffer;
  metrics: Metric[];
}

interface Collector {
  url: string;
  seen: Seen[];
}

type Reply = (seen: Seen, res: http.ServerResponse) => void;

const servers: http.Server[] = [];
const outputs: OutputInstance[] = [];
afterEach(async () => {
  for (const o of outputs.splice(0)) await o.close?.();
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});

function decode(headers: http.IncomingHttpHeaders, body: Buffer): { raw: Buffer; metrics: Metric[] } {
  const raw = headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body;
  const metrics =
    headers['content-type'] === 'application/vnd.viva.batch'
      ? decodeBatch(raw)
      : new LineProtocolParser().parse(raw).metrics;
  return { raw, metrics };
}

/** A loopback server standing in for a collector; `reply` answers each decoded batch. */
async function collector(reply: Reply, tls?: { cert: Buffer; key: Buffer }): Promise<Collector> {
  const seen: Seen[] = [];
  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const entry = {
        path: req.url ?? '',
        headers: req.headers,
        ...decode(req.headers, Buffer.concat(chunks)),
      };
      seen.push(entry);
      reply(entry, res);
    });
  };
  const s = tls === undefined ? http.createServer(handler) : https.createServer(tls, handler);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  return { url: `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`, seen };
}

const accept: Reply = (_s, res) => res.writeHead(204).end();

/** A loopback URL nothing listens on: connections are refused. */
async function refusedUrl(): Promise<string> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return `http://127.0.0.1:${port}`;
}

/** A test clock whose monotonic time only moves when the test says so. */
function manualClock(): { now: number; clock: { now: () => number; monotonic: () => number } } {
  const c = { now: 0, clock: { now: () => Date.now(), monotonic: () => c.now } };
  return c;
}

interface Harness {
  out: OutputInstance;
  telemetry: Telemetry;
  logs: Record<string, unknown>[];
}

async function output(
  table: Record<string, unknown>,
  clock?: { now: () => number; monotonic: () => number },
): Promise<Harness> {
  const telemetry = new Telemetry('viva-test');
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      cb();
    },
  });
  const ctx = Object.assign(testContext(vivaOutput, { telemetry, clock }), {
    log: pino({ level: 'info' }, sink),
  });
  const out = await vivaOutput.create(parseConfig(vivaOutput, table), ctx);
  outputs.push(out);
  await out.connect?.();
  return { out, telemetry, logs };
}

async function failure(p: Promise<void>): Promise<WriteError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(WriteError);
  return e as WriteError;
}

async function gauge(t: Telemetry, name: string): Promise<Record<string, unknown>> {
  const byUrl: Record<string, unknown> = {};
  for (const m of await t.snapshot()) if (m.name === name) byUrl[m.tags.url] = m.fields.value;
  return byUrl;
}

const lp = createSerializer('influx', { precision: 'ns' });
const asLines = (ms: readonly Metric[]): string => lp.serialize(ms).toString();

/** n metrics with float, integer, string-free boolean fields and nanosecond timestamps. */
function batch(n: number): Metric[] {
  return Array.from({ length: n }, (_, i) => {
    const m = new Metric(
      `m${i}`,
      { host: 'a', zone: 'eu' },
      { usage: 1.5 + i, ok: true },
      1_700_000_000_000 + i,
      123_456,
    );
    m.setInt('count', 7 + i);
    return m;
  });
}

/**
 * A collector that holds its answers until `gate` requests wait at once (or `total` arrived), then
 * answers them all with `status(seen)`; records the most requests it ever held at once.
 */
async function gatedCollector(
  gate: number,
  total: number,
  status: (s: Seen) => [number, Record<string, string>?],
): Promise<Collector & { maxHeld: () => number }> {
  let held: [Seen, http.ServerResponse][] = [];
  let max = 0;
  let arrived = 0;
  const c = await collector((s, res) => {
    arrived++;
    held.push([s, res]);
    max = Math.max(max, held.length);
    if (held.length < gate && arrived < total) return;
    const now = held;
    held = [];
    for (const [seen, r] of now) {
      const [code, headers] = status(seen);
      r.writeHead(code, headers).end();
    }
  });
  return Object.assign(c, { maxHeld: () => max });
}

describe('viva output', () => {
  it('should POST the binary batch, gzip-compressed, with token, agent id and batch id', async () => {
    const c = await collector(accept);
    const { out } = await output({ urls: [c.url], token: 's3cret', agent_id: 'edge-7' });
    const metrics = batch(3);
    await out.write(metrics);
    const s = c.seen[0];
    expect(s.path).toBe('/v1/batch');
    expect(s.headers['content-type']).toBe('application/vnd.viva.batch');
    expect(s.headers['content-encoding']).toBe('gzip');
    expect(s.headers.authorization).toBe('Bearer s3cret');
    expect(s.headers['x-viva-agent']).toBe('edge-7');
    expect(s.headers['x-viva-batch']).toBe(`${crc32(s.raw).toString(16).padStart(8, '0')}-${s.raw.length}-3`);
    expect(asLines(s.metrics)).toBe(asLines(metrics));
  });

  it('should send line protocol without compression when asked, named after the host by default', async () => {
    const c = await collector((_s, res) => res.writeHead(200).end());
    const { out } = await output({ urls: [c.url], data_format: 'influx', content_encoding: 'identity' });
    const metrics = batch(2);
    await out.write(metrics);
    const s = c.seen[0];
    expect(s.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(s.headers['content-encoding']).toBeUndefined();
    expect(s.headers.authorization).toBeUndefined();
    expect(s.headers['x-viva-agent']).toBe(os.hostname());
    expect(s.raw.toString()).toBe(asLines(metrics));
    expect(asLines(s.metrics)).toBe(asLines(metrics));
  });

  it('should keep the batch id of a batch across retries and across a restart of the agent', async () => {
    let answers = [503, 503, 204];
    const c = await collector((_s, res) => res.writeHead(answers.shift() ?? 204).end());
    const t = manualClock();
    const { out } = await output({ urls: [c.url] }, t.clock);
    const metrics = batch(4);
    expect((await failure(out.write(metrics))).kind).toBe('retryable');
    t.now += 1000;
    expect((await failure(out.write(metrics))).kind).toBe('retryable');
    t.now += 2000;
    await out.write(metrics);
    answers = [204];
    const restarted = await output({ urls: [c.url] });
    await restarted.out.write(metrics);
    const ids = c.seen.map((s) => s.headers['x-viva-batch']);
    expect(ids).toHaveLength(4);
    expect(new Set(ids).size).toBe(1);
    await output({ urls: [c.url] }).then((h) => h.out.write(batch(5)));
    expect(c.seen[4].headers['x-viva-batch']).not.toBe(ids[0]);
  });

  it('should turn 429 with Retry-After into a retryable error carrying the delay', async () => {
    const c = await collector((_s, res) => res.writeHead(429, { 'retry-after': '7' }).end('spool full'));
    const { out } = await output({ urls: [c.url] });
    const err = await failure(out.write(batch(1)));
    expect(err.kind).toBe('retryable');
    expect(err.retryAfterMs).toBe(7000);
  });

  it('should retry a 401, count it and log it throttled with VIVA_ERR_AUTH, never the token', async () => {
    const c = await collector((_s, res) => res.writeHead(401).end('unauthorized'));
    const { out, telemetry, logs } = await output({ urls: [c.url], token: 'hunter2-token' });
    expect((await failure(out.write(batch(1)))).kind).toBe('retryable');
    const again = await failure(out.write(batch(1)));
    expect(again.kind).toBe('retryable');
    expect(c.seen).toHaveLength(2);
    expect(Object.values(await gauge(telemetry, 'viva_output_viva_auth_failures'))).toEqual([2]);
    const warned = logs.filter((l) => l.code === 'VIVA_ERR_AUTH');
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatchObject({ status: 401, msg: 'collector refused the credentials' });
    expect(JSON.stringify(logs) + again.message).not.toContain('hunter2');
  });

  it('should reject a batch the collector calls malformed (400) for good', async () => {
    const c = await collector((_s, res) => res.writeHead(400).end('bad batch'));
    const { out, logs } = await output({ urls: [c.url] });
    const err = await failure(out.write(batch(2)));
    expect(err.kind).toBe('permanent');
    expect(err.message).toContain('400: bad batch');
    expect(logs.some((l) => l.msg === 'collector refused a batch as malformed')).toBe(true);
  });

  it('should send a batch the collector finds too large (413) again in halves', async () => {
    const c = await collector((s, res) => res.writeHead(s.metrics.length > 2 ? 413 : 204).end());
    const { out } = await output({ urls: [c.url] });
    const metrics = batch(7);
    await out.write(metrics);
    const taken = c.seen.filter((s) => s.metrics.length <= 2);
    expect(taken.map((s) => s.metrics.length)).toEqual([2, 2, 2, 1]);
    expect(asLines(taken.flatMap((s) => s.metrics))).toBe(asLines(metrics));
  });

  it('should reject a single metric that is too large for the collector', async () => {
    const c = await collector((_s, res) => res.writeHead(413).end());
    const { out } = await output({ urls: [c.url] });
    expect((await failure(out.write(batch(1)))).kind).toBe('permanent');
  });

  it('should report the halves not taken as a partial write to retry', async () => {
    const c = await collector((s, res) =>
      res.writeHead(s.metrics.length > 2 ? 413 : s.metrics[0].name === 'm2' ? 503 : 204).end(),
    );
    const { out } = await output({ urls: [c.url] });
    const err = await failure(out.write(batch(4)));
    expect(err.kind).toBe('partial');
    expect(err.retry).toEqual([2, 3]);
    expect(err.rejected).toEqual([]);
  });

  it('should split a batch before sending so each body stays under max_body_bytes', async () => {
    const c = await collector(accept);
    const metrics = batch(8);
    const { out } = await output({
      urls: [c.url],
      data_format: 'influx',
      max_body_bytes: Math.ceil(lp.serialize(metrics).length / 3),
    });
    await out.write(metrics);
    expect(c.seen.length).toBeGreaterThan(2);
    for (const s of c.seen) expect(s.raw.length).toBeLessThanOrEqual(lp.serialize(metrics).length / 3);
    expect(asLines(c.seen.flatMap((s) => s.metrics))).toBe(asLines(metrics));
  });

  it('should send the bodies of one write concurrently, up to max_in_flight, in pieces of max_body_metrics', async () => {
    const c = await gatedCollector(4, 4, () => [204]);
    const { out } = await output({ urls: [c.url], max_body_metrics: 3, max_in_flight: 4 });
    const metrics = batch(10);
    await out.write(metrics);
    expect(c.maxHeld()).toBe(4);
    const bodies = [...c.seen].sort((a, b) => a.metrics[0].timeMs - b.metrics[0].timeMs);
    expect(bodies.map((s) => s.metrics.length)).toEqual([3, 3, 3, 1]);
    expect(asLines(bodies.flatMap((s) => s.metrics))).toBe(asLines(metrics));
    expect(new Set(c.seen.map((s) => s.headers['x-viva-batch'])).size).toBe(4);
  });

  it('should keep no more than max_in_flight bodies of a write in flight', async () => {
    const c = await gatedCollector(2, 5, () => [204]);
    const { out } = await output({ urls: [c.url], max_body_metrics: 2, max_in_flight: 2 });
    await out.write(batch(10));
    expect(c.seen).toHaveLength(5);
    expect(c.maxHeld()).toBe(2);
  });

  it('should take max_in_flight writes at once and keep max_in_flight bodies in flight over all of them', async () => {
    const c = await gatedCollector(3, 6, () => [204]);
    const { out } = await output({ urls: [c.url], max_body_metrics: 2, max_in_flight: 3 });
    expect(out.maxConcurrentWrites).toBe(3);
    const writes = [batch(4), batch(4), batch(4)];
    await Promise.all(writes.map((w) => out.write(w)));
    expect(c.seen).toHaveLength(6);
    expect(c.maxHeld()).toBe(3);
    expect(c.seen.flatMap((s) => s.metrics)).toHaveLength(12);
  });

  it('should retry only the metrics of the one body refused among several, under the same batch id', async () => {
    let busy = true;
    const c = await gatedCollector(3, 3, (s) =>
      busy && s.metrics[0].name === 'm3' ? [429, { 'retry-after': '7' }] : [204],
    );
    const t = manualClock();
    const { out } = await output({ urls: [c.url], max_body_metrics: 3, max_in_flight: 3 }, t.clock);
    const metrics = batch(9);
    const err = await failure(out.write(metrics));
    expect(err.kind).toBe('partial');
    expect(err.retry).toEqual([3, 4, 5]);
    expect(err.rejected).toEqual([]);
    expect(err.retryAfterMs).toBe(7000);
    expect(c.seen).toHaveLength(3);
    const refused = c.seen.find((s) => s.metrics[0].name === 'm3');
    // The core buffers the refused body's metrics again, behind newer ones: sent whole, same id.
    busy = false;
    t.now += 7000;
    await out.write([...batch(2), ...err.retry.map((i) => metrics[i])]);
    expect(c.seen).toHaveLength(5);
    const again = c.seen.slice(3).find((s) => s.headers['x-viva-batch'] === refused?.headers['x-viva-batch']);
    expect(asLines(again?.metrics ?? [])).toBe(asLines(metrics.slice(3, 6)));
    expect(c.seen.slice(3).map((s) => s.metrics.length)).toContain(2);
  });

  it('should reject for good only the body the collector calls malformed among several', async () => {
    const c = await gatedCollector(2, 2, (s) => [s.metrics[0].name === 'm0' ? 400 : 204]);
    const { out } = await output({ urls: [c.url], max_body_metrics: 2, max_in_flight: 2 });
    const err = await failure(out.write(batch(4)));
    expect(err.kind).toBe('partial');
    expect(err.retry).toEqual([]);
    expect(err.rejected.map((r) => r.index)).toEqual([0, 1]);
  });

  it('should spread the bodies of one write over the collectors with round_robin', async () => {
    const a = await collector(accept);
    const b = await collector(accept);
    const { out } = await output({
      urls: [a.url, b.url],
      balance: 'round_robin',
      max_body_metrics: 1,
      max_in_flight: 2,
    });
    await out.write(batch(4));
    expect([a.seen.length, b.seen.length]).toEqual([2, 2]);
  });

  it('should fail over to the next collector in the same write when the first refuses connections', async () => {
    const dead = await refusedUrl();
    const c = await collector(accept);
    const { out, telemetry } = await output({ urls: [dead, c.url], timeout: '2s' });
    await out.write(batch(2));
    expect(c.seen).toHaveLength(1);
    expect(await gauge(telemetry, 'viva_output_viva_endpoint_up')).toEqual({ [dead]: 0, [c.url]: 1 });
  });

  it('should skip a failed collector until retry_min has passed, then take it back', async () => {
    let firstDown = true;
    const first = await collector((_s, res) => res.writeHead(firstDown ? 503 : 204).end());
    const second = await collector(accept);
    const t = manualClock();
    const { out, telemetry, logs } = await output(
      { urls: [first.url, second.url], retry_min: '1s' },
      t.clock,
    );
    await out.write(batch(1));
    t.now += 999;
    await out.write(batch(2));
    expect(first.seen).toHaveLength(1);
    expect(second.seen).toHaveLength(2);
    expect(logs.filter((l) => l.msg === 'collector marked down')).toHaveLength(1);
    firstDown = false;
    t.now += 1;
    await out.write(batch(3));
    expect(first.seen).toHaveLength(2);
    expect(second.seen).toHaveLength(2);
    expect(logs.some((l) => l.msg === 'collector is back' && l.url === first.url)).toBe(true);
    expect(await gauge(telemetry, 'viva_output_viva_endpoint_up')).toEqual({
      [first.url]: 1,
      [second.url]: 1,
    });
  });

  it('should throw retryable, due when the first collector is back, while every collector is in backoff', async () => {
    const c = await collector((_s, res) => res.writeHead(503).end());
    const t = manualClock();
    const { out } = await output({ urls: [c.url], retry_min: '4s' }, t.clock);
    await failure(out.write(batch(1)));
    t.now += 1000;
    const err = await failure(out.write(batch(1)));
    expect(err.kind).toBe('retryable');
    expect(err.retryAfterMs).toBe(3000);
    expect(c.seen).toHaveLength(1);
  });

  it('should double the backoff of a collector that keeps failing, up to retry_max', async () => {
    const c = await collector((_s, res) => res.writeHead(503).end());
    const t = manualClock();
    const { out } = await output({ urls: [c.url], retry_min: '1s', retry_max: '3s' }, t.clock);
    const delays: (number | undefined)[] = [];
    for (let i = 0; i < 4; i++) {
      await failure(out.write(batch(1)));
      const wait = (await failure(out.write(batch(1)))).retryAfterMs;
      delays.push(wait);
      t.now += wait ?? 0;
    }
    expect(delays).toEqual([1000, 2000, 3000, 3000]);
    expect(c.seen).toHaveLength(4);
  });

  it('should spread batches over the healthy collectors with round_robin', async () => {
    const a = await collector(accept);
    const b = await collector(accept);
    const { out } = await output({ urls: [a.url, b.url], balance: 'round_robin' });
    for (let i = 0; i < 4; i++) await out.write(batch(1));
    expect([a.seen.length, b.seen.length]).toEqual([2, 2]);
  });

  it('should keep sending to the first collector with failover while it is healthy', async () => {
    const a = await collector(accept);
    const b = await collector(accept);
    const { out } = await output({ urls: [a.url, b.url] });
    for (let i = 0; i < 3; i++) await out.write(batch(1));
    expect([a.seen.length, b.seen.length]).toEqual([3, 0]);
  });

  it('should send over TLS to a collector whose certificate it trusts through tls_ca', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'viva-out-tls-'));
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
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
    const c = await collector(accept, { cert: fs.readFileSync(cert), key: fs.readFileSync(key) });
    const metrics = batch(2);
    const untrusted = await output({ urls: [c.url] });
    expect((await failure(untrusted.out.write(metrics))).kind).toBe('retryable');
    expect(c.seen).toHaveLength(0);
    const { out } = await output({ urls: [c.url], tls_ca: cert });
    await out.write(metrics);
    expect(asLines(c.seen[0].metrics)).toBe(asLines(metrics));
  });
});
