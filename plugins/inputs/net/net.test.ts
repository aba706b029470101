import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fakeTree } from '../../../core/lib/host/testing.ts';
import { gatherOnce } from '../../../core/plugin/testing.ts';
import { netInput } from './index.ts';

const DEV = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:  478408    2713    0    0    0     0          0         0   478408    2713    0    0    0     0       0          0
  eth0: 476526833   13080    1    2    0     0          0         0  1158591    8339    3    4    0     0       0          0
  eth1:100 1 0 0 0 0 0 0 200 2 0 0 0 0 0 0
`;
const SNMP = `Tcp: RtoAlgorithm RtoMin MaxConn ActiveOpens
Tcp: 1 200 -1 1091
Udp: InDatagrams NoPorts
Udp: 152 0
`;

function fakeHost(): { host_proc: string; host_sys: string } {
  return {
    host_proc: fakeTree({ 'net/dev': DEV, 'net/snmp': SNMP }),
    host_sys: fakeTree({
      'class/net/lo/flags': '0x9\n',
      'class/net/eth0/flags': '0x1003\n',
      'class/net/eth0/speed': '1000\n',
      'class/net/eth1/flags': '0x1002\n',
    }),
  };
}

describe('net input', () => {
  it('should report counters of interfaces that are up and not loopback, and the protocol counters', async () => {
    const acc = await gatherOnce(netInput, fakeHost());
    expect(acc.batches.length).toBe(1);
    expect(acc.metrics.map((m) => m.tags.interface)).toEqual(['eth0', 'all']);
    const [eth0, all] = acc.metrics;
    expect(eth0.name).toBe('net');
    expect(eth0.fields).toEqual({
      bytes_sent: 1158591,
      bytes_recv: 476526833,
      packets_sent: 8339,
      packets_recv: 13080,
      err_in: 1,
      err_out: 3,
      drop_in: 2,
      drop_out: 4,
      speed: 1000,
    });
    expect(eth0.fieldType('bytes_recv')).toBe('int');
    expect(all.fields).toEqual({
      tcp_rtoalgorithm: 1,
      tcp_rtomin: 200,
      tcp_maxconn: -1,
      tcp_activeopens: 1091,
      udp_indatagrams: 152,
      udp_noports: 0,
    });
  });

  it('should report listed interfaces whatever their state, and no protocol counters when ignored', async () => {
    const acc = await gatherOnce(netInput, {
      ...fakeHost(),
      interfaces: ['lo', 'eth1'],
      ignore_protocol_stats: true,
    });
    expect(acc.metrics.map((m) => m.tags.interface)).toEqual(['lo', 'eth1']);
    expect(acc.metrics[1].fields).toMatchObject({ bytes_recv: 100, bytes_sent: 200, speed: -1 });
  });

  it('should report loopback byte counters on this machine that only grow', async () => {
    const loBytes = (): number =>
      Number(/^\s*lo:\s*(\d+)/m.exec(fs.readFileSync('/proc/net/dev', 'utf8'))?.[1]);
    const before = loBytes();
    const first = await gatherOnce(netInput, { interfaces: ['lo'] });
    const second = await gatherOnce(netInput, { interfaces: ['lo'] });
    const lo = (acc: typeof first): number =>
      acc.metrics.find((m) => m.tags.interface === 'lo')?.fields.bytes_recv as number;
    expect(lo(first)).toBeGreaterThanOrEqual(before);
    expect(lo(second)).toBeGreaterThanOrEqual(lo(first));
    expect(lo(second)).toBeLessThanOrEqual(loBytes());
    const all = second.metrics.find((m) => m.tags.interface === 'all');
    expect(all?.fields.tcp_activeopens).toBeTypeOf('number');
  });
});
