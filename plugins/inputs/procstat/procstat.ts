/**
 * The procstat input: CPU, memory and I/O of selected processes (see lookup.ts), one `procstat`
 * metric per process, plus one `procstat_lookup` metric saying how many were found. CPU usage is
 * the share of one CPU used since the previous gather, so a process seen for the first time has
 * none yet. A process that exits between the lookup and the read is simply not reported.
 */
import path from 'node:path';
import fs from 'node:fs';
import { parsePidStat, type PidStat } from '../../../core/lib/host/pidstat.ts';
import {
  clockTicks,
  isAbsent,
  pageSize,
  parseKeyed,
  readBootTime,
  readText,
} from '../../../core/lib/host/proc.ts';
import { hostRoot } from '../../../core/lib/host/root.ts';
import { Metric } from '../../../core/model/metric/metric.ts';
import type { Accumulator, InputInstance, PluginContext } from '../../../core/plugin/types.ts';
import type { ProcstatConfig } from './config.ts';
import { pidLookup, readCmdline, type LookupResult } from './lookup.ts';

/** Fields from /proc/[pid]/status (memory in bytes). */
const STATUS: [field: string, key: string][] = [
  ['memory_swap', 'VmSwap'],
  ['memory_data', 'VmData'],
  ['memory_stack', 'VmStk'],
  ['memory_locked', 'VmLck'],
  ['voluntary_context_switches', 'voluntary_ctxt_switches'],
  ['involuntary_context_switches', 'nonvoluntary_ctxt_switches'],
];

/** Fields from /proc/[pid]/io, which only the owner (or root) may read. */
const IO: [field: string, key: string][] = [
  ['read_count', 'syscr'],
  ['write_count', 'syscw'],
  ['read_bytes', 'read_bytes'],
  ['write_bytes', 'write_bytes'],
];

/** CPU ticks of a process at a monotonic time, to compute usage at the next gather. */
interface CpuSample {
  ticks: number;
  at: number;
}

export class Procstat implements InputInstance {
  private readonly cfg: ProcstatConfig;
  private readonly ctx: PluginContext;
  private readonly proc: string;
  private readonly lookup: () => LookupResult;
  private readonly selector: Record<string, string>;
  private readonly fieldPrefix: string;
  private readonly hz = clockTicks();
  private readonly page = pageSize();
  private bootTime: number | undefined;
  /** The last lookup error logged, so a missing pid file is logged once, not every gather. */
  private lastError: string | undefined;
  /** By pid and start time, so a reused pid starts afresh. */
  private samples = new Map<string, CpuSample>();

  constructor(cfg: ProcstatConfig, ctx: PluginContext) {
    this.cfg = cfg;
    this.ctx = ctx;
    this.proc = hostRoot('proc', cfg.host_proc);
    this.lookup = pidLookup(cfg, this.proc, hostRoot('sys', cfg.host_sys));
    this.selector = selectorTag(cfg);
    this.fieldPrefix = cfg.prefix === '' ? '' : cfg.prefix + '_';
  }

  gather(acc: Accumulator): void {
    const timeMs = this.ctx.clock.now();
    const at = this.ctx.clock.monotonic();
    const found = this.lookup();
    this.bootTime ??= readBootTime(this.proc);
    const memTotal = parseKeyed(readText(path.join(this.proc, 'meminfo')) ?? '').get('MemTotal') ?? 0;
    const batch: Metric[] = [];
    const samples = new Map<string, CpuSample>();
    for (const pid of found.pids) {
      const m = this.processMetric(pid, timeMs, at, memTotal, samples);
      if (m !== undefined) batch.push(m);
    }
    this.samples = samples;
    if (found.error !== undefined && found.error !== this.lastError) {
      this.ctx.log.warn({ err: found.error }, 'process lookup failed');
    }
    this.lastError = found.error;
    const lookup = new Metric(
      'procstat_lookup',
      {
        ...this.selector,
        pid_finder: 'native',
        result: found.error === undefined ? 'success' : 'lookup_error',
      },
      {},
      timeMs,
    );
    lookup.setInt('pid_count', found.pids.length);
    lookup.setInt('running', batch.length);
    lookup.setInt('result_code', found.error === undefined ? 0 : 1);
    batch.push(lookup);
    acc.push(batch);
  }

  /** The procstat metric of one process, or undefined when it is gone. */
  private processMetric(
    pid: number,
    timeMs: number,
    at: number,
    memTotal: number,
    samples: Map<string, CpuSample>,
  ): Metric | undefined {
    const dir = path.join(this.proc, String(pid));
    const text = readText(path.join(dir, 'stat'));
    const st = text === undefined ? undefined : parsePidStat(text);
    if (st === undefined) return undefined;
    const m = new Metric('procstat', this.tags(pid, st), {}, timeMs);
    if (!this.cfg.pid_tag) m.setInt('pid', pid);
    m.setInt('ppid', st.ppid);
    m.setInt('num_threads', st.numThreads);
    m.setInt('nice_priority', st.nice);
    m.setInt('realtime_priority', st.rtPriority);
    this.addCpu(m, pid, st, at, samples);
    this.addMemory(m, dir, st, memTotal);
    addCounters(m, readText(path.join(dir, 'io')), IO);
    const fds = countFds(dir);
    if (fds !== undefined) m.setInt('num_fds', fds);
    if (this.bootTime !== undefined) {
      // Nanoseconds since the epoch exceed 2^53, hence bigint.
      const startedMs = this.bootTime * 1000 + Math.round((st.startTicks * 1000) / this.hz);
      m.setInt('created_at', BigInt(startedMs) * 1_000_000n);
    }
    if (this.fieldPrefix !== '') prefixFields(m, this.fieldPrefix);
    return m;
  }

  /** CPU times, and usage in percent of one CPU since the previous gather saw this process. */
  private addCpu(m: Metric, pid: number, st: PidStat, at: number, samples: Map<string, CpuSample>): void {
    m.fields.cpu_time_user = st.utime / this.hz;
    m.fields.cpu_time_system = st.stime / this.hz;
    m.fields.cpu_time_iowait = st.blkioTicks / this.hz;
    const key = `${pid}:${st.startTicks}`;
    const prev = this.samples.get(key);
    const sample = { ticks: st.utime + st.stime, at };
    samples.set(key, sample);
    if (prev !== undefined && at > prev.at) {
      m.fields.cpu_usage = (((sample.ticks - prev.ticks) / this.hz) * 100_000) / (at - prev.at);
    }
  }

  private addMemory(m: Metric, dir: string, st: PidStat, memTotal: number): void {
    const rss = st.rssPages * this.page;
    m.setInt('memory_rss', rss);
    m.setInt('memory_vms', st.vsize);
    if (memTotal > 0) m.fields.memory_usage = (100 * rss) / memTotal;
    addCounters(m, readText(path.join(dir, 'status')), STATUS);
  }

  private tags(pid: number, st: PidStat): Record<string, string> {
    const tags: Record<string, string> = {
      ...this.selector,
      process_name: this.cfg.process_name !== '' ? this.cfg.process_name : st.comm,
    };
    if (this.cfg.pid_tag) tags.pid = String(pid);
    if (this.cfg.cmdline_tag) {
      const cmdline = readCmdline(this.proc, pid);
      if (cmdline !== undefined && cmdline !== '') tags.cmdline = cmdline;
    }
    return tags;
  }
}

/** The tag naming what selected the processes, as Telegraf names it (none for VIVA itself). */
function selectorTag(cfg: ProcstatConfig): Record<string, string> {
  if (cfg.pid_file !== '') return { pidfile: cfg.pid_file };
  if (cfg.exe !== '') return { exe: cfg.exe };
  if (cfg.pattern !== '') return { pattern: cfg.pattern };
  if (cfg.cgroup !== '') return { cgroup: cfg.cgroup };
  return {};
}

/** Copies the named counters of a keyed file (status, io) that is present. */
function addCounters(m: Metric, text: string | undefined, names: [field: string, key: string][]): void {
  if (text === undefined) return;
  const values = parseKeyed(text);
  for (const [field, key] of names) {
    const v = values.get(key);
    if (v !== undefined) m.setInt(field, v);
  }
}

/** Renames every field to `<prefix><field>`, keeping integer markers. */
function prefixFields(m: Metric, prefix: string): void {
  const fields: Metric['fields'] = {};
  const types: NonNullable<Metric['fieldTypes']> = {};
  for (const [k, v] of Object.entries(m.fields)) {
    fields[prefix + k] = v;
    const t = m.fieldTypes?.[k];
    if (t !== undefined) types[prefix + k] = t;
  }
  m.fields = fields;
  m.fieldTypes = types;
}

/** Open file descriptors, or undefined when only the owner may look. */
function countFds(dir: string): number | undefined {
  try {
    return fs.readdirSync(path.join(dir, 'fd')).length;
  } catch (err) {
    if (isAbsent(err)) return undefined;
    throw err;
  }
}
