/**
 * The swap input: swap space from /proc/meminfo and the bytes swapped in and out since boot from
 * /proc/vmstat (pswpin/pswpout count pages).
 */
import fs from 'node:fs';
import path from 'node:path';
import { pageSize, parseKeyed, readText } from '../../../core/lib/host/proc.ts';
import { hostRoot } from '../../../core/lib/host/root.ts';
import { Metric } from '../../../core/model/metric/metric.ts';
import type { Accumulator, InputInstance, PluginContext } from '../../../core/plugin/types.ts';
import type { SwapConfig } from './config.ts';

/** Builds the swap metric from /proc/meminfo and (when readable) /proc/vmstat. */
export function swapMetric(
  meminfo: string,
  vmstat: string | undefined,
  page: number,
  timeMs: number,
): Metric {
  const info = parseKeyed(meminfo);
  const total = info.get('SwapTotal') ?? 0;
  const free = info.get('SwapFree') ?? 0;
  const m = new Metric('swap', {}, {}, timeMs);
  m.setInt('total', total);
  m.setInt('used', total - free);
  m.setInt('free', free);
  m.fields.used_percent = total > 0 ? (100 * (total - free)) / total : 0;
  if (vmstat !== undefined) {
    const vm = parseKeyed(vmstat);
    m.setInt('in', (vm.get('pswpin') ?? 0) * page);
    m.setInt('out', (vm.get('pswpout') ?? 0) * page);
  }
  return m;
}

export class Swap implements InputInstance {
  private readonly root: string;
  private readonly ctx: PluginContext;
  private readonly page = pageSize();

  constructor(cfg: SwapConfig, ctx: PluginContext) {
    this.root = hostRoot('proc', cfg.host_proc);
    this.ctx = ctx;
  }

  gather(acc: Accumulator): void {
    const meminfo = fs.readFileSync(path.join(this.root, 'meminfo'), 'utf8');
    const vmstat = readText(path.join(this.root, 'vmstat'));
    acc.push([swapMetric(meminfo, vmstat, this.page, this.ctx.clock.now())]);
  }
}
