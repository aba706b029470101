import fs from 'node:fs';
import net from 'node:net';
import dgram from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { fakeTree } from '../../../core/lib/host/testing.ts';
import { gatherOnce } from '../../../core/plugin/testing.ts';
import { netstatInput } from './index.ts';

const HEADER =
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
const row = (st: string): string =>
  `   0: 0100007F:2382 00000000:0000 ${st} 00000000:00000000 00:00000000 00000000     0        0 21359 1 0 100 0 0 10 0\n`;

describe('netstat input', () => {
  it('should count TCP sockets by state over IPv4 and IPv6, and UDP sockets', async () => {
    const host_proc = fakeTree({
      'net/tcp': HEADER + row('0A') + row('0A') + row('01') + row('06'),
      'net/tcp6': HEADER + row('01') + row('0C') + row('08'),
      'net/udp': HEADER + row('07'),
      'net/udp6': HEADER + row('07') + row('07'),
    });
    const acc = await gatherOnce(netstatInput, { host_proc });
    expect(acc.metrics.length).toBe(1);
    const [m] = acc.metrics;
    expect(m.name).toBe('netstat');
    expect(m.tags).toEqual({});
    expect(m.fields).toEqual({
      tcp_established: 2,
      tcp_syn_sent: 0,
      tcp_syn_recv: 0,
      tcp_fin_wait1: 0,
      tcp_fin_wait2: 0,
      tcp_time_wait: 1,
      tcp_close: 0,
      tcp_close_wait: 1,
      tcp_last_ack: 0,
      tcp_listen: 2,
      tcp_closing: 0,
      tcp_none: 1,
      udp_socket: 3,
    });
    expect(m.fieldType('tcp_listen')).toBe('int');
  });

  it('should count only IPv4 tables on a kernel without IPv6', async () => {
    const acc = await gatherOnce(netstatInput, {
      host_proc: fakeTree({ 'net/tcp': HEADER + row('0A'), 'net/udp': HEADER }),
    });
    expect(acc.metrics[0].fields).toMatchObject({ tcp_listen: 1, udp_socket: 0 });
  });

  it('should fail the gather when no socket table exists', async () => {
    await expect(gatherOnce(netstatInput, { host_proc: fakeTree({}) })).rejects.toThrow(/no socket tables/);
  });

  it('should see the sockets this test opens on this machine', async () => {
    const server = net.createServer((s) => s.on('error', () => undefined));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    const client = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => client.once('connect', resolve));
    const udp = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
    try {
      const acc = await gatherOnce(netstatInput);
      const f = acc.metrics[0].fields;
      const listening = ['tcp', 'tcp6']
        .map((t) => fs.readFileSync(`/proc/net/${t}`, 'utf8').split('\n').slice(1))
        .flat()
        .filter((l) => l.trim().split(/\s+/)[3] === '0A').length;
      expect(f.tcp_listen as number).toBeGreaterThanOrEqual(1);
      expect(Math.abs((f.tcp_listen as number) - listening)).toBeLessThanOrEqual(2);
      expect(f.tcp_established as number).toBeGreaterThanOrEqual(2);
      expect(f.udp_socket as number).toBeGreaterThanOrEqual(1);
    } finally {
      client.destroy();
      udp.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
