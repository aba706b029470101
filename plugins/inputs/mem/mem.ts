/**
 * The mem input: system memory from /proc/meminfo, in bytes, with Telegraf's field names and
 * its (gopsutil's) derivations: cached includes reclaimable slab, used is what is neither free,
 * buffers nor cache.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseKeyed } from '../../../core/lib/host/proc.ts';
import { hostRoot } from '../../../core/lib/host/root.ts';
import { Metric } from '../../../core/model/metric/metric.ts';
import type { Accumulator, InputInstance, PluginContext } from '../../../core/plugin/types.ts';
import type { MemConfig } from './config.ts';

/** Fields copied from a meminfo key (bytes; the HugePages_* counts are pages). */
const COPIED: [field: string, key: string][] = [
  ['active', 'Active'],
  ['buffered', 'Buffers'],
  ['commit_limit', 'CommitLimit'],
  ['committed_as', 'Committed_AS'],
  ['dirty', 'Dirty'],
  ['free', 'MemFree'],
  ['high_free', 'HighFree'],
  ['high_total', 'HighTotal'],
  ['huge_page_size', 'Hugepagesize'],
  ['huge_pages_free', 'HugePages_Free'],
  ['huge_pages_total', 'HugePages_Total'],
  ['inactive', 'Inactive'],
  ['low_free', 'LowFree'],
  ['low_total', 'LowTotal'],
  ['mapped', 'Mapped'],
  ['page_tables', 'PageTables'],
  ['shared', 'Shmem'],
  ['slab', 'Slab'],
  ['sreclaimable', 'SReclaimable'],
  ['sunreclaim', 'SUnreclaim'],
  ['swap_cached', 'SwapCached'],
  ['swap_free', 'SwapFree'],
  ['swap_total', 'SwapTotal'],
  ['total', 'MemTotal'],
  ['vmalloc_chunk', 'VmallocChunk'],
  ['vmalloc_total', 'VmallocTotal'],
  ['vmalloc_used', 'VmallocUsed'],
  ['write_back', 'Writeback'],
  ['write_back_tmp', 'WritebackTmp'],
];

/** Builds the mem metric from the text of /proc/meminfo. */
export function memMetric(text: string, timeMs: number): Metric {
  const info = parseKeyed(text);
  const get = (k: string): number => info.get(k) ?? 0;
  const m = new Metric('mem', {}, {}, timeMs);
  for (const [field, key] of COPIED) m.setInt(field, get(key));
  const total = get('MemTotal');
  const free = get('MemFree');
  const buffers = get('Buffers');
  const cached = get('Cached') + get('SReclaimable');
  // Kernels before 3.14 have no MemAvailable; free plus cache is the usual estimate.
  const available = info.get('MemAvailable') ?? free + cached;
  const used = total - free - buffers - cached;
  m.setInt('cached', cached);
  m.setInt('available', available);
  m.setInt('used', used);
  m.fields.available_percent = total > 0 ? (100 * available) / total : 0;
  m.fields.used_percent = total > 0 ? (100 * used) / total : 0;
  return m;
}

export class Mem implements InputInstance {
  private readonly file: string;
  private readonly ctx: PluginContext;

  constructor(cfg: MemConfig, ctx: PluginContext) {
    this.file = path.join(hostRoot('proc', cfg.host_proc), 'meminfo');
    this.ctx = ctx;
  }

  gather(acc: Accumulator): void {
    acc.push([memMetric(fs.readFileSync(this.file, 'utf8'), this.ctx.clock.now())]);
  }
}
