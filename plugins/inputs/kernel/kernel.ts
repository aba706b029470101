/**
 * The kernel input: system-wide kernel counters from /proc/stat (interrupts, context switches,
 * forks, boot time) and the entropy pool size.
 */
import fs from 'node:fs';
import path from 'node:path';
import { readText } from '../../../core/lib/host/proc.ts';
import { hostRoot } from '../../../core/lib/host/root.ts';
import { Metric } from '../../../core/model/metric/metric.ts';
import type { Accumulator, InputInstance, PluginContext } from '../../../core/plugin/types.ts';
import type { KernelConfig } from './config.ts';

/** Builds the kernel metric from /proc/stat and, when readable, entropy_avail. */
export function kernelMetric(stat: string, entropy: string | undefined, timeMs: number): Metric {
  const m = new Metric('kernel', {}, {}, timeMs);
  for (const line of stat.split('\n')) {
    const parts = line.split(/\s+/);
    switch (parts[0]) {
      case 'intr':
        m.setInt('interrupts', Number(parts[1]));
        break;
      case 'ctxt':
        m.setInt('context_switches', Number(parts[1]));
        break;
      case 'processes':
        m.setInt('processes_forked', Number(parts[1]));
        break;
      case 'btime':
        m.setInt('boot_time', Number(parts[1]));
        break;
      // Only 2.4 kernels have this line; later ones count paging in /proc/vmstat.
      case 'page':
        m.setInt('disk_pages_in', Number(parts[1]));
        m.setInt('disk_pages_out', Number(parts[2]));
        break;
    }
  }
  const pool = entropy === undefined ? NaN : parseInt(entropy, 10);
  if (Number.isFinite(pool)) m.setInt('entropy_avail', pool);
  return m;
}

export class Kernel implements InputInstance {
  private readonly proc: string;
  private readonly ctx: PluginContext;

  constructor(cfg: KernelConfig, ctx: PluginContext) {
    this.proc = hostRoot('proc', cfg.host_proc);
    this.ctx = ctx;
  }

  gather(acc: Accumulator): void {
    const stat = fs.readFileSync(path.join(this.proc, 'stat'), 'utf8');
    const entropy = readText(path.join(this.proc, 'sys', 'kernel', 'random', 'entropy_avail'));
    acc.push([kernelMetric(stat, entropy, this.ctx.clock.now())]);
  }
}
