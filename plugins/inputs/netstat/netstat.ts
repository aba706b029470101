/**
 * The netstat input: how many TCP sockets are in each state and how many UDP sockets exist,
 * counted from /proc/net/tcp, tcp6, udp and udp6 (IPv4 and IPv6 together).
 */
import path from 'node:path';
import { readText } from '../../../core/lib/host/proc.ts';
import { hostRoot } from '../../../core/lib/host/root.ts';
import { Metric } from '../../../core/model/metric/metric.ts';
import type { Accumulator, InputInstance, PluginContext } from '../../../core/plugin/types.ts';
import type { NetstatConfig } from './config.ts';

/** Field of each TCP state code (include/net/tcp_states.h); any other code counts as tcp_none. */
const TCP_STATES: Record<string, string> = {
  '01': 'tcp_established',
  '02': 'tcp_syn_sent',
  '03': 'tcp_syn_recv',
  '04': 'tcp_fin_wait1',
  '05': 'tcp_fin_wait2',
  '06': 'tcp_time_wait',
  '07': 'tcp_close',
  '08': 'tcp_close_wait',
  '09': 'tcp_last_ack',
  '0A': 'tcp_listen',
  '0B': 'tcp_closing',
};

/** Every field, zero when no socket is in that state. */
const FIELDS = [...Object.values(TCP_STATES), 'tcp_none', 'udp_socket'];

/** Adds the sockets of one /proc/net/tcp-style table (header line first) to the counts. */
export function countTcp(text: string, counts: Map<string, number>): void {
  const lines = text.split('\n');
  for (let i = 1; i < lines.length; i++) {
    // "  sl  local_address rem_address   st ...": the state is the fourth column.
    const st = lines[i].trim().split(/\s+/, 4)[3];
    if (st === undefined) continue;
    const field = TCP_STATES[st.toUpperCase()] ?? 'tcp_none';
    counts.set(field, (counts.get(field) ?? 0) + 1);
  }
}

/** Counts the sockets of one /proc/net/udp-style table (header line first). */
export function countRows(text: string): number {
  let n = 0;
  const lines = text.split('\n');
  for (let i = 1; i < lines.length; i++) if (lines[i].trim() !== '') n++;
  return n;
}

export class Netstat implements InputInstance {
  private readonly net: string;
  private readonly ctx: PluginContext;

  constructor(cfg: NetstatConfig, ctx: PluginContext) {
    this.net = path.join(hostRoot('proc', cfg.host_proc), 'net');
    this.ctx = ctx;
  }

  gather(acc: Accumulator): void {
    const counts = new Map<string, number>();
    // A kernel without IPv6 has no tcp6/udp6; a host without IPv4 tables is not one we know.
    let found = 0;
    for (const file of ['tcp', 'tcp6']) {
      const text = readText(path.join(this.net, file));
      if (text === undefined) continue;
      found++;
      countTcp(text, counts);
    }
    let udp = 0;
    for (const file of ['udp', 'udp6']) {
      const text = readText(path.join(this.net, file));
      if (text === undefined) continue;
      found++;
      udp += countRows(text);
    }
    if (found === 0) throw new Error(`no socket tables under ${this.net}`);
    counts.set('udp_socket', udp);
    const m = new Metric('netstat', {}, {}, this.ctx.clock.now());
    for (const f of FIELDS) m.setInt(f, counts.get(f) ?? 0);
    acc.push([m]);
  }
}
