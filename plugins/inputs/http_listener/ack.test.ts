import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig, testContext, TestAccumulator } from '../../../core/plugin/testing.ts';
import { HttpListener } from './http_listener.ts';
import { httpListenerInput } from './index.ts';

const running: HttpListener[] = [];
afterEach(async () => {
  for (const l of running.splice(0)) await l.stop();
});

async function listen(table: Record<string, unknown>, durableAcks: boolean) {
  const acc = new TestAccumulator();
  acc.durableAcks = durableAcks;
  const listener = new HttpListener(
    parseConfig(httpListenerInput, { service_address: '127.0.0.1:0', ...table }),
    testContext(httpListenerInput),
  );
  await listener.start(acc);
  running.push(listener);
  return { acc, url: `http://127.0.0.1:${listener.port}/write` };
}

/** A POST whose answer is recorded when it comes (undefined until then). */
function post(url: string, body: string) {
  const r: { answer?: { status: number; text: string; retryAfter: string | null } } = {};
  const done = fetch(url, { method: 'POST', body }).then(async (res) => {
    r.answer = { status: res.status, text: await res.text(), retryAfter: res.headers.get('retry-after') };
    return r.answer;
  });
  return Object.assign(r, { done });
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (const end = Date.now() + 5000; !cond();) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('http_listener acknowledgement', () => {
  it('should answer 204 only once a durable pipeline acknowledges the batch', async () => {
    const { acc, url } = await listen({}, true);
    const w = post(url, 'cpu v=1 1\ncpu v=2 2\n');
    await until(() => acc.acks.length === 1, 'the push');
    // A later request round-trips meanwhile: the held answer blocks nothing else.
    const bad = post(url, 'not line protocol\n');
    expect((await bad.done).status).toBe(400);
    expect(w.answer).toBeUndefined();
    acc.ackAll(true);
    expect((await w.done).status).toBe(204);
  });

  it('should answer 503 with Retry-After, counted, when the pipeline could not store the batch', async () => {
    const { acc, url } = await listen({ retry_after: '3s' }, true);
    const w = post(url, 'cpu v=1 1\ncpu v=2 2\n');
    await until(() => acc.acks.length === 1, 'the push');
    acc.ackAll(false);
    const a = await w.done;
    expect(a.status).toBe(503);
    expect(a.retryAfter).toBe('3');
    expect(a.text).toMatch(/could not be stored/);
    expect(acc.rejects).toEqual([
      expect.objectContaining({ reason: 'not stored by the pipeline', count: 2 }),
    ]);
  });

  it('should answer acknowledged requests in any order, each when its own batch is stored', async () => {
    const { acc, url } = await listen({}, true);
    const first = post(url, 'a v=1 1\n');
    await until(() => acc.acks.length === 1, 'the first push');
    const second = post(url, 'b v=1 1\n');
    await until(() => acc.acks.length === 2, 'the second push');
    acc.acks[1](true);
    expect((await second.done).status).toBe(204);
    expect(first.answer).toBeUndefined();
    acc.acks[0](false);
    expect((await first.done).status).toBe(503);
  });

  it('should answer on receipt when the pipeline acks by delivery (an agent) or ack = "received"', async () => {
    for (const [table, durable] of [
      [{}, false],
      [{ ack: 'received' }, true],
    ] as const) {
      const { acc, url } = await listen(table, durable);
      expect((await post(url, 'cpu v=1 1\n').done).status).toBe(204);
      expect(acc.metrics).toHaveLength(1);
      expect(acc.acks).toHaveLength(0);
    }
  });

  it('should wait for the acknowledgement in an agent too with ack = "durable"', async () => {
    const { acc, url } = await listen({ ack: 'durable' }, false);
    const w = post(url, 'cpu v=1 1\n');
    await until(() => acc.acks.length === 1, 'the push');
    expect(w.answer).toBeUndefined();
    acc.ackAll(true);
    expect((await w.done).status).toBe(204);
  });
});
