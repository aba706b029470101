/**
 * The diskio input: cumulative I/O counters of each block device from /proc/diskstats.
 */
import fs from 'node:fs';
import path from 'node:path';
import { hostRoot } from '../../../core/lib/host/root.ts';
import { compileGlobs, type GlobSet } from '../../../core/engine/filter/glob.ts';
import { Metric } from '../../../core/model/metric/metric.ts';
import type { Accumulator, InputInstance, PluginContext } from '../../../core/plugin/types.ts';
import type { DiskioConfig } from './config.ts';

/** /proc/diskstats counts 512-byte sectors whatever the device's own sector size. */
const SECTOR = 512;

/** Fields by column of /proc/diskstats (0-based, after major, minor and name). */
const COLUMNS: [field: string, col: number, scale: number][] = [
  ['reads', 3, 1],
  ['merged_reads', 4, 1],
  ['read_bytes', 5, SECTOR],
  ['read_time', 6, 1],
  ['writes', 7, 1],
  ['merged_writes', 8, 1],
  ['write_bytes', 9, SECTOR],
  ['write_time', 10, 1],
  ['iops_in_progress', 11, 1],
  ['io_time', 12, 1],
  ['weighted_io_time', 13, 1],
];

/** Builds one diskio metric per device line of /proc/diskstats that `want` accepts. */
export function diskioMetrics(text: string, want: GlobSet | null, timeMs: number): Metric[] {
  const out: Metric[] = [];
  for (const line of text.split('\n')) {
    const cols = line.trim().split(/\s+/);
    // Partitions of kernels before 2.6.25 have only four counters; they are not worth reporting.
    if (cols.length < 14) continue;
    const name = cols[2];
    if (want !== null && !want(name)) continue;
    const m = new Metric('diskio', { name }, {}, timeMs);
    for (const [field, col, scale] of COLUMNS) m.setInt(field, Number(cols[col]) * scale);
    out.push(m);
  }
  return out;
}

export class Diskio implements InputInstance {
  private readonly file: string;
  private readonly want: GlobSet | null;
  private readonly ctx: PluginContext;

  constructor(cfg: DiskioConfig, ctx: PluginContext) {
    this.file = path.join(hostRoot('proc', cfg.host_proc), 'diskstats');
    this.want = cfg.devices.length > 0 ? compileGlobs(cfg.devices) : null;
    this.ctx = ctx;
  }

  gather(acc: Accumulator): void {
    const batch = diskioMetrics(fs.readFileSync(this.file, 'utf8'), this.want, this.ctx.clock.now());
    if (batch.length > 0) acc.push(batch);
  }
}
