/**
 * The processes input: how many processes are in each scheduler state, and how many threads they
 * run, from /proc/[pid]/stat of every process.
 */
import path from 'node:path';
import { parsePidStat } from '../../../core/lib/host/pidstat.ts';
import { listPids, readText } from '../../../core/lib/host/proc.ts';
import { hostRoot } from '../../../core/lib/host/root.ts';
import { Metric } from '../../../core/model/metric/metric.ts';
import type { Accumulator, InputInstance, PluginContext } from '../../../core/plugin/types.ts';
import type { ProcessesConfig } from './config.ts';

/** Field of each state letter of proc(5); any other letter counts as unknown. */
const STATES: Record<string, string> = {
  R: 'running',
  S: 'sleeping',
  D: 'blocked',
  Z: 'zombies',
  X: 'dead',
  T: 'stopped',
  t: 'stopped',
  W: 'paging',
  I: 'idle',
};

const FIELDS = [
  'blocked',
  'zombies',
  'stopped',
  'running',
  'sleeping',
  'total',
  'unknown',
  'dead',
  'paging',
  'idle',
];

/** Counts processes by state under a proc root; a process gone before it was read is not counted. */
export function countProcesses(procRoot: string): Map<string, number> {
  const counts = new Map<string, number>(FIELDS.map((f) => [f, 0]));
  let threads = 0;
  for (const pid of listPids(procRoot)) {
    const text = readText(path.join(procRoot, String(pid), 'stat'));
    const st = text === undefined ? undefined : parsePidStat(text);
    if (st === undefined) continue;
    const field = STATES[st.state] ?? 'unknown';
    counts.set(field, (counts.get(field) ?? 0) + 1);
    counts.set('total', (counts.get('total') ?? 0) + 1);
    threads += st.numThreads;
  }
  counts.set('total_threads', threads);
  return counts;
}

export class Processes implements InputInstance {
  private readonly proc: string;
  private readonly ctx: PluginContext;

  constructor(cfg: ProcessesConfig, ctx: PluginContext) {
    this.proc = hostRoot('proc', cfg.host_proc);
    this.ctx = ctx;
  }

  gather(acc: Accumulator): void {
    const m = new Metric('processes', {}, {}, this.ctx.clock.now());
    for (const [field, n] of countProcesses(this.proc)) m.setInt(field, n);
    if ((m.fields.total as number) === 0) throw new Error(`no processes found under ${this.proc}`);
    acc.push([m]);
  }
}
