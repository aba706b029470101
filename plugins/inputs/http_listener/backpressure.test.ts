/**
 * backpressure_wait end to end inside one process: a real listener in front of a real pipeline
 * whose only output is slow (its write completes when the test says) and blocks when full.
 */
import net from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { outputCommonSchema } from '../../../core/config/schema.ts';
import { Pipeline } from '../../../core/engine/pipeline/pipeline.ts';
import { RunningOutput } from '../../../core/engine/running/output.ts';
import { OutputStats } from '../../../core/engine/running/stats.ts';
import { Telemetry } from '../../../core/engine/telemetry/telemetry.ts';
import type { Metric } from '../../../core/model/metric/metric.ts';
import { parseConfig, testContext } from '../../../core/plugin/testing.ts';
import type { Accumulator } from '../../../core/plugin/types.ts';
import { backpressureWaitMs } from '../../../core/lib/http/backpressure.ts';
import { prometheusRemoteWriteConfig } from '../prometheus_remote_write/config.ts';
import { httpListenerConfig } from './config.ts';
import { HttpListener } from './http_listener.ts';
import { httpListenerInput } from './index.ts';

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s();
});

async function until(cond: () => boolean, what: string): Promise<void> {
  for (const end = Date.now() + 10_000; !cond();) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * A listener → pipeline → output holding 2 metrics at most (`when_full = "block"`), writing
 * batches of 2; each write waits until the test finishes it.
 */
async function setup(table: Record<string, unknown>) {
  const telemetry = new Telemetry('viva-test');
  const written: string[] = [];
  const pending: (() => void)[] = [];
  let closing = false;
  const oid = { kind: 'output' as const, name: 'slow', alias: undefined, label: 'outputs.slow' };
  let pipeline: Pipeline | undefined = undefined;
  const out = new RunningOutput({
    id: oid,
    common: outputCommonSchema.parse({ when_full: 'block' }),
    batchSize: 2,
    bufferLimit: 2,
    flushIntervalMs: 60_000,
    flushJitterMs: 0,
    instance: {
      write: (batch: Metric[]) =>
        new Promise<void>((resolve) => {
          const finish = (): void => {
            for (const m of batch) written.push(m.name);
            resolve();
          };
          if (closing) finish();
          else pending.push(finish);
        }),
    },
    log: pino({ level: 'silent' }),
    stats: new OutputStats(telemetry, oid),
    onCapacity: () => pipeline?.capacityAvailable(),
  });
  pipeline = new Pipeline([], [out], pino({ level: 'silent' }));
  const p = pipeline;
  await out.start();
  const rejects: string[] = [];
  let capacityWaits = 0;
  const acc: Accumulator = {
    push: (metrics, ack) => p.push(metrics, ack),
    reject: (reason) => void rejects.push(reason),
    get saturated() {
      return p.saturated;
    },
    waitForCapacity: () => {
      capacityWaits++;
      return p.waitForCapacity();
    },
  };
  const listener = new HttpListener(
    parseConfig(httpListenerInput, { service_address: '127.0.0.1:0', ...table }),
    testContext(httpListenerInput, { telemetry }),
  );
  await listener.start(acc);
  stops.push(async () => {
    await listener.stop();
    closing = true;
    while (pending.length > 0) pending.shift()?.();
    await out.stop(1000);
  });
  const url = `http://127.0.0.1:${listener.port}/write`;
  const post = (body: string) => {
    const r: { status?: number; retryAfter?: string | null } = {};
    const done = fetch(url, { method: 'POST', body }).then(async (res) => {
      await res.text();
      r.status = res.status;
      r.retryAfter = res.headers.get('retry-after');
      return r;
    });
    return Object.assign(r, { done });
  };
  /** Finishes the oldest write in flight. */
  const finishWrite = (): void => pending.shift()?.();
  return {
    port: listener.port,
    post,
    finishWrite,
    written,
    rejects,
    pending,
    telemetry,
    capacityWaits: () => capacityWaits,
    saturated: () => p.saturated,
  };
}

/** The value of the http_listener's backpressure_held counter for one outcome (0 when absent). */
async function held(telemetry: Telemetry, outcome: string): Promise<number> {
  const text = await telemetry.text();
  const line = text
    .split('\n')
    .find(
      (l) =>
        l.startsWith('viva_input_http_listener_backpressure_held_total{') &&
        l.includes(`outcome="${outcome}"`),
    );
  return line === undefined ? 0 : Number(line.split(' ')[1]);
}

describe('http_listener backpressure_wait', () => {
  it('should hold a write sent while the output buffer is full and accept it (204) once the output drains', async () => {
    const s = await setup({ backpressure_wait: '5s' });
    expect((await s.post('a v=1\nb v=2\n').done).status).toBe(204);
    await until(() => s.pending.length === 1 && s.saturated(), 'the output writing a full buffer');
    const third = s.post('c v=3\nd v=4\n');
    await until(() => s.capacityWaits() > 0, 'the listener waiting for room');
    expect(third.status).toBeUndefined();
    s.finishWrite();
    expect((await third.done).status).toBe(204);
    await until(() => s.pending.length === 1, 'the held write reaching the output');
    s.finishWrite();
    expect(s.written).toEqual(['a', 'b', 'c', 'd']);
    expect(s.rejects).toEqual([]);
    expect(await held(s.telemetry, 'admitted')).toBe(1);
    expect(await held(s.telemetry, 'refused')).toBe(0);
    const text = await s.telemetry.text();
    expect(text).toMatch(
      /viva_input_http_listener_backpressure_wait_seconds_count\{[^}]*outcome="admitted"[^}]*\} 1/,
    );
  });

  it('should answer 429 with Retry-After when the output does not drain within backpressure_wait', async () => {
    const s = await setup({ backpressure_wait: '300ms', retry_after: '2s' });
    expect((await s.post('a v=1\nb v=2\n').done).status).toBe(204);
    await until(() => s.pending.length === 1 && s.saturated(), 'the output writing a full buffer');
    const refused = await s.post('c v=3\n').done;
    expect(refused).toMatchObject({ status: 429, retryAfter: '2' });
    expect(s.rejects).toEqual(['backpressure']);
    expect(await held(s.telemetry, 'refused')).toBe(1);
    expect(await held(s.telemetry, 'admitted')).toBe(0);
    s.finishWrite();
    expect((await s.post('c v=3\n').done).status).toBe(204);
  });

  it('should admit every held write once there is room for it, losing none', async () => {
    const s = await setup({ backpressure_wait: '5s' });
    expect((await s.post('a v=1\nb v=2\n').done).status).toBe(204);
    await until(() => s.pending.length === 1 && s.saturated(), 'the output writing a full buffer');
    const c = s.post('c v=3\nd v=4\n');
    await until(() => s.capacityWaits() > 0, 'the first request held');
    const e = s.post('e v=5\nf v=6\n');
    // Finish writes as they come until both held requests are answered.
    while (c.status === undefined || e.status === undefined) {
      await until(
        () => s.pending.length > 0 || (c.status !== undefined && e.status !== undefined),
        'a write',
      );
      s.finishWrite();
    }
    expect([c.status, e.status]).toEqual([204, 204]);
    await until(() => s.pending.length > 0 || s.written.length === 6, 'the last write');
    while (s.pending.length > 0) s.finishWrite();
    await until(() => s.written.length === 6, 'every metric written');
    expect(s.written.slice(0, 2)).toEqual(['a', 'b']);
    expect([...s.written].sort()).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(s.rejects).toEqual([]);
    expect(await held(s.telemetry, 'admitted')).toBeGreaterThanOrEqual(2);
  });

  it('should count a held write whose client hangs up as gone, and hold nothing for it', async () => {
    const s = await setup({ backpressure_wait: '5s' });
    expect((await s.post('a v=1\nb v=2\n').done).status).toBe(204);
    await until(() => s.pending.length === 1 && s.saturated(), 'the output writing a full buffer');
    const body = 'c v=3\nd v=4\n';
    const sock = net.connect(s.port, '127.0.0.1');
    sock.on('error', () => undefined);
    sock.write(`POST /write HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    await until(() => s.capacityWaits() > 0, 'the write held');
    sock.destroy();
    let gone = 0;
    for (const end = Date.now() + 10_000; gone === 0;) {
      if (Date.now() > end) throw new Error('the held write was not counted as gone');
      await new Promise((r) => setTimeout(r, 5));
      gone = await held(s.telemetry, 'gone');
    }
    expect(gone).toBe(1);
    s.finishWrite();
    expect((await s.post('e v=5\nf v=6\n').done).status).toBe(204);
    expect(s.rejects).toEqual([]);
    expect(await held(s.telemetry, 'admitted')).toBe(0);
  });

  it('should refuse a backpressure_wait not below read_timeout', () => {
    expect(() => httpListenerConfig.parse({ backpressure_wait: '10s' })).toThrow(/backpressure_wait/);
    expect(httpListenerConfig.parse({ backpressure_wait: '0s' }).backpressure_wait).toBe(0);
  });

  it('should default the hold to 2s, or half of a shorter read_timeout, so such a config stays valid', () => {
    const dflt = httpListenerConfig.parse({});
    expect(backpressureWaitMs(dflt.backpressure_wait, dflt.read_timeout)).toBe(2000);
    const short = httpListenerConfig.parse({ read_timeout: '2s' });
    expect(backpressureWaitMs(short.backpressure_wait, short.read_timeout)).toBe(1000);
    const pr = prometheusRemoteWriteConfig.parse({ read_timeout: '1s' });
    expect(backpressureWaitMs(pr.backpressure_wait, pr.read_timeout)).toBe(500);
    expect(() => prometheusRemoteWriteConfig.parse({ read_timeout: '1s', backpressure_wait: '1s' })).toThrow(
      /backpressure_wait must be below read_timeout/,
    );
  });
});
