import { afterEach, describe, expect, it } from 'vitest';
import { REMOTE_WRITE_HEADERS, remoteWriteBody } from '../../../core/format/prometheus/remotewrite.ts';
import { parseConfig, testContext, TestAccumulator } from '../../../core/plugin/testing.ts';
import { prometheusRemoteWriteInput } from './index.ts';
import { PrometheusRemoteWriteListener } from './prometheus_remote_write.ts';

const running: PrometheusRemoteWriteListener[] = [];
afterEach(async () => {
  for (const l of running.splice(0)) await l.stop();
});

async function listen(table: Record<string, unknown>, durableAcks: boolean) {
  const acc = new TestAccumulator();
  acc.durableAcks = durableAcks;
  const listener = new PrometheusRemoteWriteListener(
    parseConfig(prometheusRemoteWriteInput, { service_address: '127.0.0.1:0', ...table }),
    testContext(prometheusRemoteWriteInput),
  );
  await listener.start(acc);
  running.push(listener);
  return { acc, url: `http://127.0.0.1:${listener.port}/api/v1/write` };
}

const body = remoteWriteBody([
  { labels: [['__name__', 'up']], samples: [{ value: 1, timeMs: 1_764_140_000_000 }] },
]);

function post(url: string) {
  const r: { status?: number } = {};
  const done = fetch(url, { method: 'POST', body, headers: { ...REMOTE_WRITE_HEADERS } }).then(
    async (res) => {
      await res.text();
      r.status = res.status;
      return res;
    },
  );
  return Object.assign(r, { done });
}

async function until(cond: () => boolean): Promise<void> {
  for (const end = Date.now() + 5000; !cond();) {
    if (Date.now() > end) throw new Error('timed out waiting for the push');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('prometheus_remote_write acknowledgement', () => {
  it('should answer 204 only once a durable pipeline acknowledges the batch', async () => {
    const { acc, url } = await listen({}, true);
    const w = post(url);
    await until(() => acc.acks.length === 1);
    expect(w.status).toBeUndefined();
    acc.ackAll(true);
    expect((await w.done).status).toBe(204);
  });

  it('should answer 503 with Retry-After, counted, when the pipeline could not store the batch', async () => {
    const { acc, url } = await listen({ retry_after: '2s' }, true);
    const w = post(url);
    await until(() => acc.acks.length === 1);
    acc.ackAll(false);
    const res = await w.done;
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('2');
    expect(acc.rejects).toEqual([
      expect.objectContaining({ reason: 'not stored by the pipeline', count: 1 }),
    ]);
  });

  it('should answer on receipt with ack = "received"', async () => {
    const { acc, url } = await listen({ ack: 'received' }, true);
    expect((await post(url).done).status).toBe(204);
    expect(acc.acks).toHaveLength(0);
  });
});
