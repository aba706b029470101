/**
 * The cpu input: per-CPU and total CPU usage from /proc/stat, as percentages of the time elapsed
 * since the previous gather (so the first gather reports usage for nothing, like Telegraf), and
 * optionally the cumulative time of each state.
 */
import fs from 'node:fs';
import path from 'node:path';
import { hostRoot } from '../../../core/lib/host/root.ts';
import { clockTicks } from '../../../core/lib/host/proc.ts';
import { Metric } from '../../../core/model/metric/metric.ts';
import type { Accumulator, InputInstance, PluginContext } from '../../../core/plugin/types.ts';
import type { CpuConfig } from './config.ts';

/** The columns of a cpu line of /proc/stat, in order. */
const STATES = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal', 'guest', 'guest_nice'];
const USER = 0;
const NICE = 1;
const SYSTEM = 2;
const IDLE = 3;
const IOWAIT = 4;
const IRQ = 5;
const SOFTIRQ = 6;
const STEAL = 7;
const GUEST = 8;
const GUEST_NICE = 9;

/** Cumulative ticks of each state, per CPU label (`cpu0`, ..., `cpu-total`). */
export type CpuTimes = Map<string, number[]>;

/** Parses the cpu lines of /proc/stat; the aggregate line is labelled `cpu-total`. */
export function parseCpuTimes(text: string): CpuTimes {
  const out: CpuTimes = new Map();
  for (const line of text.split('\n')) {
    if (!line.startsWith('cpu')) continue;
    const parts = line.trim().split(/\s+/);
    const ticks = STATES.map((_, i) => Number(parts[i + 1] ?? 0) || 0);
    out.set(parts[0] === 'cpu' ? 'cpu-total' : parts[0], ticks);
  }
  return out;
}

/** Guest time is already counted in user (and guest_nice in nice), so it is left out of the total. */
function total(t: number[]): number {
  return t[USER] + t[NICE] + t[SYSTEM] + t[IDLE] + t[IOWAIT] + t[IRQ] + t[SOFTIRQ] + t[STEAL];
}

function active(t: number[]): number {
  return total(t) - t[IDLE] - t[IOWAIT];
}

export class Cpu implements InputInstance {
  private readonly cfg: CpuConfig;
  private readonly ctx: PluginContext;
  private readonly statFile: string;
  private readonly hz = clockTicks();
  private last: CpuTimes | undefined;

  constructor(cfg: CpuConfig, ctx: PluginContext) {
    this.cfg = cfg;
    this.ctx = ctx;
    this.statFile = path.join(hostRoot('proc', cfg.host_proc), 'stat');
  }

  gather(acc: Accumulator): void {
    const now = parseCpuTimes(fs.readFileSync(this.statFile, 'utf8'));
    const timeMs = this.ctx.clock.now();
    const batch: Metric[] = [];
    for (const [cpu, t] of now) {
      if (cpu === 'cpu-total' ? !this.cfg.totalcpu : !this.cfg.percpu) continue;
      const m = new Metric('cpu', { cpu }, {}, timeMs);
      if (this.cfg.collect_cpu_time) this.addTimes(m, t);
      const prev = this.last?.get(cpu);
      if (prev !== undefined) this.addUsage(m, t, prev);
      if (Object.keys(m.fields).length > 0) batch.push(m);
    }
    this.last = now;
    if (batch.length > 0) acc.push(batch);
  }

  private addTimes(m: Metric, t: number[]): void {
    for (let i = 0; i < STATES.length; i++) m.fields['time_' + STATES[i]] = t[i] / this.hz;
    if (this.cfg.report_active) m.fields.time_active = active(t) / this.hz;
  }

  /** Percentages of the interval; user and nice exclude guest time, so the states sum to 100. */
  private addUsage(m: Metric, t: number[], p: number[]): void {
    const dt = total(t) - total(p);
    // No time elapsed, or the counters went backwards (CPU hot-plugged, counter reset).
    if (dt <= 0) return;
    const d = (i: number): number => t[i] - p[i];
    const f = m.fields;
    f.usage_user = (100 * (d(USER) - d(GUEST))) / dt;
    f.usage_system = (100 * d(SYSTEM)) / dt;
    f.usage_idle = (100 * d(IDLE)) / dt;
    f.usage_nice = (100 * (d(NICE) - d(GUEST_NICE))) / dt;
    f.usage_iowait = (100 * d(IOWAIT)) / dt;
    f.usage_irq = (100 * d(IRQ)) / dt;
    f.usage_softirq = (100 * d(SOFTIRQ)) / dt;
    f.usage_steal = (100 * d(STEAL)) / dt;
    f.usage_guest = (100 * d(GUEST)) / dt;
    f.usage_guest_nice = (100 * d(GUEST_NICE)) / dt;
    if (this.cfg.report_active) f.usage_active = (100 * (active(t) - active(p))) / dt;
  }
}
