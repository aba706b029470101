import dgram from 'node:dgram';
import net from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { WriteError } from '../../../core/model/errors/errors.ts';
import { createSerializer, formatOptions } from '../../../core/format/registry.ts';
import { Metric } from '../../../core/model/metric/metric.ts';
import { parseConfig } from '../../../core/plugin/testing.ts';
import { socketWriterOutput } from './index.ts';
import { SocketWriter } from './socket_writer.ts';

const log = pino({ level: 'silent' });
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

function writer(table: Record<string, unknown>): SocketWriter {
  const cfg = parseConfig(socketWriterOutput, table);
  const w = new SocketWriter(cfg, createSerializer(cfg.data_format, formatOptions(cfg)), log);
  cleanup.push(() => w.close());
  return w;
}

function metric(i: number, extra = ''): Metric {
  const m = new Metric('m', { host: 'a' }, {}, 1_700_000_000_000, i);
  m.setInt('seq', i);
  if (extra !== '') m.setField('pad', extra);
  return m;
}

/** A TCP server that records what it receives. */
async function tcpSink(port = 0): Promise<{ port: number; text: () => string; close: () => Promise<void> }> {
  let data = '';
  const conns = new Set<net.Socket>();
  const server = net.createServer((s) => {
    conns.add(s);
    s.on('data', (d: Buffer) => (data += d.toString()));
    s.on('close', () => conns.delete(s));
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  const close = async (): Promise<void> => {
    for (const c of conns) c.destroy();
    await new Promise((r) => server.close(r));
  };
  return { port: (server.address() as net.AddressInfo).port, text: () => data, close };
}

async function until(cond: () => boolean): Promise<void> {
  const end = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('socket_writer output over TCP', () => {
  it('should write each batch as line protocol on one kept-open connection', async () => {
    const sink = await tcpSink();
    cleanup.push(sink.close);
    const w = writer({ address: `tcp://127.0.0.1:${sink.port}` });
    await w.connect();
    await w.write([metric(1), metric(2)]);
    await w.write([metric(3)]);
    await until(() => sink.text().split('\n').length > 3);
    expect(sink.text()).toBe(
      'm,host=a seq=1i 1700000000000000001\nm,host=a seq=2i 1700000000000000002\nm,host=a seq=3i 1700000000000000003\n',
    );
  });

  it('should write JSON when data_format is json', async () => {
    const sink = await tcpSink();
    cleanup.push(sink.close);
    const w = writer({
      address: `tcp://127.0.0.1:${sink.port}`,
      data_format: 'json',
      json_timestamp_units: 'ns',
    });
    await w.write([metric(1)]);
    await until(() => sink.text().endsWith('\n'));
    expect(sink.text()).toBe(
      '{"metrics":[{"fields":{"seq":1},"name":"m","tags":{"host":"a"},"timestamp":1700000000000000001}]}\n',
    );
  });

  it('should throw a retryable error while the destination is down and reconnect when it is back', async () => {
    const first = await tcpSink();
    const port = first.port;
    const w = writer({ address: `tcp://127.0.0.1:${port}` });
    await w.write([metric(1)]);
    await first.close();
    await new Promise((r) => setTimeout(r, 50));
    const err = await w.write([metric(2)]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WriteError);
    expect((err as WriteError).kind).toBe('retryable');
    const second = await tcpSink(port);
    cleanup.push(second.close);
    await w.write([metric(2)]);
    await until(() => second.text() !== '');
    expect(second.text()).toBe('m,host=a seq=2i 1700000000000000002\n');
  });

  it('should not fail to start when the destination is not up yet', async () => {
    const w = writer({ address: 'tcp://127.0.0.1:1', connect_timeout: '200ms' });
    await expect(w.connect()).resolves.toBeUndefined();
  });
});

describe('socket_writer output over UDP', () => {
  it('should split a batch into datagrams of whole lines below max_datagram_size', async () => {
    const server = dgram.createSocket('udp4');
    const got: string[] = [];
    server.on('message', (m) => got.push(m.toString()));
    await new Promise<void>((r) => server.bind(0, '127.0.0.1', r));
    cleanup.push(() => new Promise<void>((r) => server.close(() => r())));
    const w = writer({ address: `udp://127.0.0.1:${server.address().port}`, max_datagram_size: 100 });
    const batch = Array.from({ length: 10 }, (_, i) => metric(i));
    await w.write(batch);
    await until(() => got.join('').split('\n').length > 10);
    expect(got.length).toBeGreaterThan(1);
    expect(got.every((d) => d.length <= 100 && d.endsWith('\n'))).toBe(true);
    expect(
      got
        .join('')
        .split('\n')
        .filter((l) => l !== ''),
    ).toHaveLength(10);
  });

  it('should send what fits and reject a metric larger than any datagram', async () => {
    const server = dgram.createSocket('udp4');
    const got: string[] = [];
    server.on('message', (m) => got.push(m.toString()));
    await new Promise<void>((r) => server.bind(0, '127.0.0.1', r));
    cleanup.push(() => new Promise<void>((r) => server.close(() => r())));
    const w = writer({ address: `udp://127.0.0.1:${server.address().port}`, max_datagram_size: 100 });
    const err = await w.write([metric(0), metric(1, 'x'.repeat(200)), metric(2)]).catch((e: unknown) => e);
    expect((err as WriteError).kind).toBe('partial');
    expect((err as WriteError).rejected.map((r) => r.index)).toEqual([1]);
    await until(() => got.join('').split('\n').length > 2);
    expect(got.join('')).toBe('m,host=a seq=0i 1700000000000000000\nm,host=a seq=2i 1700000000000000002\n');
  });
});
