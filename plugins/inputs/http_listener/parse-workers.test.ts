import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig, testContext, TestAccumulator } from '../../../core/plugin/testing.ts';
import type { PluginContext } from '../../../core/plugin/types.ts';
import { HttpListener } from './http_listener.ts';
import { httpListenerInput } from './index.ts';

const NOW = 1_764_140_000_000;
const running: HttpListener[] = [];
afterEach(async () => {
  for (const l of running.splice(0)) await l.stop();
});

async function listen(
  table: Record<string, unknown>,
): Promise<{ listener: HttpListener; acc: TestAccumulator; base: string; ctx: PluginContext }> {
  const ctx = testContext(httpListenerInput, {
    clock: { now: () => NOW, monotonic: () => performance.now() },
  });
  const listener = new HttpListener(
    parseConfig(httpListenerInput, { service_address: '127.0.0.1:0', database_tag: 'db', ...table }),
    ctx,
  );
  const acc = new TestAccumulator();
  await listener.start(acc);
  running.push(listener);
  return { listener, acc, base: `http://127.0.0.1:${listener.port}`, ctx };
}

async function post(
  url: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string }> {
  const res = await fetch(url, { method: 'POST', body, headers });
  return { status: res.status, text: await res.text() };
}

const rows = (acc: TestAccumulator) =>
  acc.metrics.map((m) => ({
    name: m.name,
    tags: m.tags,
    fields: m.fields,
    types: m.fieldTypes,
    time: [m.timeMs, m.timeNs],
  }));

const GOOD = 'cpu,host=a usage=0.5,cores=4i,up=true,note="x y" 1700000000\nmem,host=a free=12u\n';
const badLines = Array.from({ length: 13 }, (_, i) => `bad${i}`).join('\n');
/** The writes compared: good, partial (13 bad lines, more than the 400 names), all bad, gzip, v2. */
const WRITES: { path: string; body: string | Buffer; headers?: Record<string, string> }[] = [
  { path: '/write?db=telegraf&precision=s', body: GOOD },
  { path: '/write?db=x', body: `${GOOD}${badLines}\nok v=1i 1\n` },
  { path: '/write', body: 'only garbage\n' },
  { path: '/write?precision=ms', body: gzipSync(GOOD), headers: { 'content-encoding': 'gzip' } },
  { path: '/api/v2/write?bucket=b&precision=ns', body: 'big v=18446744073709551615u 1700000000123456789\n' },
];

async function writeAll(base: string): Promise<{ status: number; text: string }[]> {
  const answers = [];
  for (const w of WRITES) answers.push(await post(`${base}${w.path}`, w.body, w.headers));
  return answers;
}

describe('http_listener parse_workers', () => {
  it('should store the same metrics and answer the same as inline parsing when a worker parses', async () => {
    const inline = await listen({});
    const workers = await listen({ parse_workers: 1 });
    const expected = await writeAll(inline.base);
    const got = await writeAll(workers.base);
    expect(got).toEqual(expected);
    expect(expected.map((a) => a.status)).toEqual([204, 400, 400, 204, 204]);
    expect(expected[1].text).toContain('partial write: 13 of 16 lines rejected: line 3:');
    expect(expected[1].text).toContain('; and 3 more');
    expect(rows(workers.acc)).toEqual(rows(inline.acc));
    expect(rows(workers.acc).length).toBeGreaterThan(0);
    // One write at a time: the idle worker parsed every line protocol body.
    expect(workers.listener.parsePool?.stats()).toMatchObject({ offloaded: WRITES.length, inline: 0 });
    expect(inline.listener.parsePool).toBeUndefined();
    expect(inline.acc.rejects).toEqual(workers.acc.rejects);
  });

  it('should lose no write when its worker is killed, and start a new worker', async () => {
    const { listener, acc, base, ctx } = await listen({ parse_workers: 1 });
    expect((await post(`${base}/write`, 'a v=1i 1\n')).status).toBe(204);
    const pool = listener.parsePool;
    await pool?.failWorkers('terminate');
    expect(pool?.stats()).toMatchObject({ failures: 1, running: 0 });
    expect((await post(`${base}/write`, 'a v=2i 2\n')).status).toBe(204);
    await pool?.failWorkers('throw');
    expect((await post(`${base}/write`, 'a v=3i 3\nbad\n')).text).toContain('line 2:');
    expect(acc.metrics.map((m) => m.fields.v)).toEqual([1, 2, 3]);
    expect(pool?.stats()).toMatchObject({ failures: 2, running: 1, offloaded: 3 });
    const failures = (await ctx.selfMetrics()).find((m) => m.name.endsWith('parse_worker_failures'));
    expect(failures?.fields).toMatchObject({ value: 2 });
  });

  it('should leave no worker thread behind when stopped or restarted', async () => {
    const { listener, base } = await listen({ parse_workers: 2 });
    await Promise.all([post(`${base}/write`, 'a v=1i 1\n'), post(`${base}/write`, 'a v=2i 2\n')]);
    const pool = listener.parsePool;
    expect(pool?.stats().running).toBeGreaterThan(0);
    await listener.stop();
    expect(pool?.stats()).toMatchObject({ running: 0, failures: 0 });
    expect(listener.parsePool).toBeUndefined();
    // Started again (a reload keeps the instance when its config is unchanged): workers anew.
    const acc = new TestAccumulator();
    await listener.start(acc);
    expect((await post(`http://127.0.0.1:${listener.port}/write`, 'a v=3i 3\n')).status).toBe(204);
    expect(listener.parsePool?.stats()).toMatchObject({ offloaded: 1, running: 1 });
  });
});
