import type { IncomingMessage, ServerResponse } from 'node:http';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { BodyPool } from './body-pool.ts';
import { readBody, type BodyLimits, type BodyRefusal } from './body.ts';
import { HttpServer } from './server.ts';

const servers: HttpServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop();
});

/**
 * A server reading every body within `limits`: it answers 200 with the body's length, or 413/503
 * when `readBody` refuses; `refusals` and the bytes it gave back are kept.
 */
async function serve(limits: BodyLimits): Promise<{ base: string; refusals: BodyRefusal[] }> {
  const refusals: BodyRefusal[] = [];
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const held = { bytes: 0 };
    readBody(req, limits, held, (why) => {
      refusals.push(why);
      res.writeHead(why === 'too large' ? 413 : 503, { connection: 'close' }).end(why);
    })
      .then((body) => {
        if (body === null) return;
        // With a pool, the answer is the body itself, and the buffer goes back once answered.
        if (limits.pool === undefined) res.writeHead(200).end(String(body.length));
        else res.writeHead(200).end(body.toString('latin1'), () => limits.pool?.give(body));
      })
      .finally(() => (limits.inflight.bytes -= held.bytes))
      .catch(() => res.destroy());
  };
  const server = new HttpServer({
    name: 'body-test',
    listen: '127.0.0.1:0',
    log: pino({ level: 'silent' }),
    handler,
  });
  await server.start();
  servers.push(server);
  return { base: `http://127.0.0.1:${String(server.port)}`, refusals };
}

/** POSTs a body sent in chunks (no Content-Length), so only the reader can refuse it. */
async function post(url: string, chunks: Buffer[]): Promise<{ status: number; text: string }> {
  const body = new ReadableStream<Uint8Array>({
    pull(c) {
      const next = chunks.shift();
      if (next === undefined) c.close();
      else c.enqueue(next);
    },
  });
  const res = await fetch(url, { method: 'POST', body, duplex: 'half' } as RequestInit);
  return { status: res.status, text: await res.text() };
}

describe('readBody', () => {
  it('should read a body within the limits whole and give its bytes back after', async () => {
    const limits = { maxBodySize: 1000, inflight: { bytes: 0, max: 10_000 } };
    const { base, refusals } = await serve(limits);
    const got = await post(base, [Buffer.alloc(300, 1), Buffer.alloc(400, 2)]);
    expect(got).toEqual({ status: 200, text: '700' });
    expect(refusals).toEqual([]);
    expect(limits.inflight.bytes).toBe(0);
  });

  it('should refuse a body growing past max_body_size as too large', async () => {
    const limits = { maxBodySize: 1000, inflight: { bytes: 0, max: 1_000_000 } };
    const { base, refusals } = await serve(limits);
    const got = await post(base, [Buffer.alloc(600), Buffer.alloc(600)]).catch(() => undefined);
    // The answer may race the closed upload; the refusal is what the reader reports.
    if (got !== undefined) expect(got.status).toBe(413);
    expect(refusals).toEqual(['too large']);
    expect(limits.inflight.bytes).toBe(0);
  });

  it('should refuse a body that takes the bodies in flight past their bound as overloaded', async () => {
    // Another request already holds 900 of the 1000 bytes the listener may hold.
    const limits = { maxBodySize: 1_000_000, inflight: { bytes: 900, max: 1000 } };
    const { base, refusals } = await serve(limits);
    const got = await post(base, [Buffer.alloc(200)]).catch(() => undefined);
    if (got !== undefined) expect(got.status).toBe(503);
    expect(refusals).toEqual(['overloaded']);
    expect(limits.inflight.bytes).toBe(900);
  });

  it('should read bodies of a declared size into pooled buffers, one after another', async () => {
    const pool = new BodyPool(4, 1 << 20);
    const limits = { maxBodySize: 1_000_000, inflight: { bytes: 0, max: 10_000_000 }, pool };
    const { base } = await serve(limits);
    const first = 'a'.repeat(300_000);
    const second = 'b'.repeat(200_000) + 'c';
    for (const text of [first, second, first]) {
      const res = await fetch(base, { method: 'POST', body: text });
      expect(await res.text()).toBe(text);
    }
    // One buffer served all three.
    expect(pool.size).toBe(1);
    expect(limits.inflight.bytes).toBe(0);
    // A body without a declared size is read the ordinary way.
    expect(await post(base, [Buffer.from('x'), Buffer.from('yz')])).toEqual({ status: 200, text: 'xyz' });
    expect(pool.size).toBe(1);
  });

  it('should give a pooled buffer back when it refuses the body', async () => {
    const pool = new BodyPool(4, 1 << 20);
    const limits = { maxBodySize: 1_000_000, inflight: { bytes: 0, max: 100_000 }, pool };
    const { base, refusals } = await serve(limits);
    // Declared within the bound; the bodies in flight reach it while this one arrives.
    limits.inflight.bytes = 50_000;
    await fetch(base, { method: 'POST', body: 'x'.repeat(60_000) }).catch(() => undefined);
    expect(refusals).toEqual(['overloaded']);
    expect(pool.size).toBe(1);
  });
});
