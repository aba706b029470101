import dgram from 'node:dgram';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig, testContext, TestAccumulator } from '../../../core/plugin/testing.ts';
import { socketListenerInput } from './index.ts';
import { SocketListener } from './socket_listener.ts';

const NOW = 1_764_140_000_000;
const running: SocketListener[] = [];
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const l of running.splice(0)) await l.stop();
});

async function listen(
  table: Record<string, unknown> = {},
): Promise<{ listener: SocketListener; acc: TestAccumulator }> {
  const ctx = testContext(socketListenerInput, {
    clock: { now: () => NOW, monotonic: () => performance.now() },
  });
  const listener = new SocketListener(
    parseConfig(socketListenerInput, { service_address: 'tcp://127.0.0.1:0', ...table }),
    ctx,
  );
  const acc = new TestAccumulator();
  await listener.start(acc);
  running.push(listener);
  return { listener, acc };
}

async function connect(port: number): Promise<net.Socket> {
  const s = net.connect(port, '127.0.0.1');
  sockets.push(s);
  await new Promise<void>((resolve, reject) => s.once('connect', resolve).once('error', reject));
  return s;
}

const write = (s: net.Socket, data: string): Promise<void> =>
  new Promise((resolve) => s.write(data, () => resolve()));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

describe('socket_listener input over TCP', () => {
  it('should parse lines split across writes into exact metrics', async () => {
    const { listener, acc } = await listen();
    const s = await connect(listener.port);
    await write(s, 'cpu,host=a usage=0.5,cores=4i 1700000000123456789\ncpu,host=b us');
    await sleep(20);
    await write(s, 'age=1.5 1700000000000000001\nmem free=3u\n');
    const got = await acc.waitFor(3);
    expect(got.map((m) => [m.name, m.tags, m.fields, m.fieldTypes, m.timeMs, m.timeNs])).toEqual([
      ['cpu', { host: 'a' }, { usage: 0.5, cores: 4 }, { cores: 'int' }, 1_700_000_000_123, 456_789],
      ['cpu', { host: 'b' }, { usage: 1.5 }, null, 1_700_000_000_000, 1],
      ['mem', {}, { free: 3 }, { free: 'uint' }, NOW, 0],
    ]);
  });

  it('should take a last line without a newline when the client closes', async () => {
    const { listener, acc } = await listen({ precision: 's' });
    const s = await connect(listener.port);
    s.end('last v=1i 1700000000');
    const [m] = await acc.waitFor(1);
    expect([m.name, m.timeMs]).toEqual(['last', 1_700_000_000_000]);
  });

  it('should reject bad lines and keep the good ones of the same read', async () => {
    const { listener, acc } = await listen();
    const s = await connect(listener.port);
    await write(s, 'ok v=1i\nnot line protocol\nok v=2i\n');
    await acc.waitFor(2);
    expect(acc.metrics.map((m) => m.fields.v)).toEqual([1, 2]);
    expect(acc.rejects).toEqual([
      {
        reason: 'invalid line protocol',
        count: 1,
        detail: expect.objectContaining({ text: 'not line protocol' }),
      },
    ]);
  });

  it('should reject a line longer than max_line_length and keep the connection', async () => {
    const { listener, acc } = await listen({ max_line_length: 64 });
    const s = await connect(listener.port);
    await write(s, `long v="${'x'.repeat(40)}`);
    await write(s, `${'y'.repeat(40)}"\nafter v=1i\n`);
    await write(s, `ok v=2i\nlong2 v="${'z'.repeat(100)}"\nok v=3i\n`);
    await acc.waitFor(3);
    expect(acc.metrics.map((m) => m.name)).toEqual(['after', 'ok', 'ok']);
    expect(acc.rejects.every((r) => r.reason === 'line longer than max_line_length')).toBe(true);
    expect(acc.rejects.reduce((n, r) => n + r.count, 0)).toBe(2);
  });

  it('should keep serving other clients while one stalls mid-line', async () => {
    const { listener, acc } = await listen();
    const slow = await connect(listener.port);
    await write(slow, 'slow,host=a v=');
    const fast = await connect(listener.port);
    const lines = Array.from({ length: 5000 }, (_, i) => `fast seq=${i}i`).join('\n') + '\n';
    await write(fast, lines);
    await acc.waitFor(5000);
    expect(acc.metrics.every((m) => m.name === 'fast')).toBe(true);
    await write(slow, '1i\n');
    await acc.waitFor(5001);
    expect(acc.metrics[5000].name).toBe('slow');
  });

  it('should pause a connection while the pipeline pushes back and resume when it has room', async () => {
    const { listener, acc } = await listen();
    acc.saturated = true;
    const s = await connect(listener.port);
    await write(s, 'first v=1i\n');
    await acc.waitFor(1);
    await write(s, 'second v=2i\n');
    await sleep(100);
    expect(acc.metrics).toHaveLength(1);
    acc.release();
    await acc.waitFor(2);
    expect(acc.metrics[1].name).toBe('second');
  });

  it('should refuse connections beyond max_connections and count them', async () => {
    const { listener, acc } = await listen({ max_connections: 1 });
    await connect(listener.port);
    const extra = net.connect(listener.port, '127.0.0.1');
    sockets.push(extra);
    await new Promise<void>((resolve) => extra.once('close', () => resolve()));
    await until(() => acc.rejects.length > 0, 'the refusal to be counted');
    expect(acc.rejects[0].reason).toBe('too many connections');
  });

  it('should close idle connections by default, so idle clients cannot hold every slot', async () => {
    expect(parseConfig(socketListenerInput, { service_address: 'tcp://127.0.0.1:0' }).read_timeout).toBe(
      300_000,
    );
    const { listener, acc } = await listen({ max_connections: 1, read_timeout: '200ms' });
    const idle = await connect(listener.port);
    await new Promise<void>((resolve) => idle.once('close', () => resolve()));
    // The slot is free again: a new client is served.
    const s = await connect(listener.port);
    await write(s, 'after value=1\n');
    await acc.waitFor(1);
    expect(acc.metrics[0].name).toBe('after');
  });

  it('should read JSON metrics, one document per line', async () => {
    const { listener, acc } = await listen({ data_format: 'json' });
    const s = await connect(listener.port);
    await write(
      s,
      '{"name":"j","tags":{"a":"b"},"fields":{"v":1},"timestamp":1700000000}\n{oops}\n{"name":"k","fields":{"f":0.5}}\n',
    );
    await acc.waitFor(2);
    expect(acc.metrics.map((m) => [m.name, m.tags, m.fields, m.timeMs])).toEqual([
      ['j', { a: 'b' }, { v: 1 }, 1_700_000_000_000],
      ['k', {}, { f: 0.5 }, NOW],
    ]);
    expect(acc.rejects[0]).toMatchObject({ reason: 'invalid JSON metrics', count: 1 });
  });
});

describe('socket_listener input over UDP', () => {
  async function send(port: number, datagrams: string[]): Promise<void> {
    const c = dgram.createSocket('udp4');
    for (const d of datagrams)
      await new Promise<void>((resolve, reject) =>
        c.send(d, port, '127.0.0.1', (e) => (e ? reject(e) : resolve())),
      );
    c.close();
  }

  it('should parse each datagram into a batch', async () => {
    const { listener, acc } = await listen({ service_address: 'udp://127.0.0.1:0' });
    await send(listener.port, ['a v=1i 1\na v=2i 2', 'b v=3i 3\n']);
    await acc.waitFor(3);
    expect(acc.metrics.map((m) => [m.name, m.fields.v, m.timeNs])).toEqual([
      ['a', 1, 1],
      ['a', 2, 2],
      ['b', 3, 3],
    ]);
    expect(acc.batches).toHaveLength(2);
  });

  it('should drop and count datagrams while the pipeline pushes back', async () => {
    const { listener, acc } = await listen({ service_address: 'udp://127.0.0.1:0' });
    acc.saturated = true;
    await send(listener.port, ['x v=1', 'x v=2', 'x v=3']);
    await sleep(100);
    await listener.stop();
    expect(acc.metrics).toHaveLength(0);
    expect(acc.rejects).toEqual([{ reason: 'pipeline saturated; datagrams dropped', detail: {}, count: 3 }]);
  });
});
