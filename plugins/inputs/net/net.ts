/**
 * The net input: traffic counters of each network interface from /proc/net/dev, and the
 * system-wide IP, ICMP, TCP and UDP counters of /proc/net/snmp as one metric tagged
 * interface=all (like Telegraf).
 */
import fs from 'node:fs';
import path from 'node:path';
import { readText } from '../../../core/lib/host/proc.ts';
import { hostRoot } from '../../../core/lib/host/root.ts';
import { compileGlobs, type GlobSet } from '../../../core/engine/filter/glob.ts';
import { Metric } from '../../../core/model/metric/metric.ts';
import type { Accumulator, InputInstance, PluginContext } from '../../../core/plugin/types.ts';
import type { NetConfig } from './config.ts';

/** Fields by column of /proc/net/dev (receive columns 0-7, transmit 8-15). */
const COLUMNS: [field: string, col: number][] = [
  ['bytes_sent', 8],
  ['bytes_recv', 0],
  ['packets_sent', 9],
  ['packets_recv', 1],
  ['err_in', 2],
  ['err_out', 10],
  ['drop_in', 3],
  ['drop_out', 11],
];

const IFF_UP = 0x1;
const IFF_LOOPBACK = 0x8;

/** Counters of each interface in /proc/net/dev, by name, in file order. */
export function parseNetDev(text: string): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const cols = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
      .map(Number);
    if (cols.length >= 16) out.set(line.slice(0, colon).trim(), cols);
  }
  return out;
}

/** The `proto_counter` fields of /proc/net/snmp (header line, then value line, per protocol). */
export function parseSnmp(text: string): Map<string, number> {
  const out = new Map<string, number>();
  const lines = text.split('\n');
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const names = lines[i].split(/\s+/);
    const values = lines[i + 1].split(/\s+/);
    const proto = names[0].replace(/:$/, '').toLowerCase();
    for (let j = 1; j < names.length && j < values.length; j++) {
      const v = Number(values[j]);
      if (names[j] !== '' && Number.isFinite(v)) out.set(proto + '_' + names[j].toLowerCase(), v);
    }
  }
  return out;
}

export class Net implements InputInstance {
  private readonly cfg: NetConfig;
  private readonly ctx: PluginContext;
  private readonly proc: string;
  private readonly sysNet: string;
  private readonly want: GlobSet | null;

  constructor(cfg: NetConfig, ctx: PluginContext) {
    this.cfg = cfg;
    this.ctx = ctx;
    this.proc = hostRoot('proc', cfg.host_proc);
    this.sysNet = path.join(hostRoot('sys', cfg.host_sys), 'class', 'net');
    this.want = cfg.interfaces.length > 0 ? compileGlobs(cfg.interfaces) : null;
  }

  /** Listed interfaces are always reported; otherwise only those up and not loopback. */
  private wanted(name: string): boolean {
    if (this.want !== null) return this.want(name);
    const flags = readText(path.join(this.sysNet, name, 'flags'));
    if (flags === undefined) return true;
    const f = parseInt(flags, 16);
    return (f & IFF_UP) !== 0 && (f & IFF_LOOPBACK) === 0;
  }

  /** Link speed in Mbit/s, -1 when unknown (virtual interfaces, link down). */
  private speed(name: string): number {
    const n = parseInt(readText(path.join(this.sysNet, name, 'speed')) ?? '', 10);
    return Number.isFinite(n) ? n : -1;
  }

  gather(acc: Accumulator): void {
    const timeMs = this.ctx.clock.now();
    const batch: Metric[] = [];
    const dev = parseNetDev(fs.readFileSync(path.join(this.proc, 'net', 'dev'), 'utf8'));
    for (const [name, cols] of dev) {
      if (!this.wanted(name)) continue;
      const m = new Metric('net', { interface: name }, {}, timeMs);
      for (const [field, col] of COLUMNS) m.setInt(field, cols[col]);
      m.setInt('speed', this.speed(name));
      batch.push(m);
    }
    const snmp = this.cfg.ignore_protocol_stats ? undefined : readText(path.join(this.proc, 'net', 'snmp'));
    if (snmp !== undefined) {
      const m = new Metric('net', { interface: 'all' }, {}, timeMs);
      for (const [field, v] of parseSnmp(snmp)) m.setInt(field, v);
      if (Object.keys(m.fields).length > 0) batch.push(m);
    }
    if (batch.length > 0) acc.push(batch);
  }
}
