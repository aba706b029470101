/**
 * The disk input: space and inodes of each mounted filesystem, listed from the mount table and
 * measured with statfs(2). Pseudo filesystems are skipped by type (`ignore_fs`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { readText } from '../../../core/lib/host/proc.ts';
import { hostRoot } from '../../../core/lib/host/root.ts';
import { Metric } from '../../../core/model/metric/metric.ts';
import type { Accumulator, InputInstance, PluginContext } from '../../../core/plugin/types.ts';
import type { DiskConfig } from './config.ts';

/** One line of the mount table. */
export interface Mount {
  device: string;
  path: string;
  fstype: string;
  opts: string[];
}

/** The mount table escapes space, tab, newline and backslash as octal (`\040`). */
const unescape = (s: string): string =>
  s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/** Parses /proc/[pid]/mounts; a path mounted over keeps its last (visible) entry. */
export function parseMounts(text: string): Mount[] {
  const byPath = new Map<string, Mount>();
  for (const line of text.split('\n')) {
    const [device, mnt, fstype, opts] = line.split(' ');
    if (opts === undefined) continue;
    const m = { device: unescape(device), path: unescape(mnt), fstype, opts: opts.split(',') };
    byPath.delete(m.path);
    byPath.set(m.path, m);
  }
  return [...byPath.values()];
}

/** A bigint as a number when that is exact. */
const int = (v: bigint): number | bigint => (v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);

/** Builds the disk metric of one mount from its statfs result. */
export function diskMetric(mount: Mount, tagPath: string, st: fs.BigIntStatsFs, timeMs: number): Metric {
  const bsize = st.frsize > 0n ? st.frsize : st.bsize;
  const total = st.blocks * bsize;
  const free = st.bavail * bsize;
  const used = (st.blocks - st.bfree) * bsize;
  const inodesUsed = st.files - st.ffree;
  const tags = {
    path: tagPath,
    device: mount.device.replace(/^\/dev\//, ''),
    fstype: mount.fstype,
    mode: mount.opts.includes('ro') ? 'ro' : 'rw',
  };
  const m = new Metric('disk', tags, {}, timeMs);
  m.setInt('total', int(total));
  m.setInt('free', int(free));
  m.setInt('used', int(used));
  // Of the space a user can use (used + available), like df; root's reserve is left out.
  m.fields.used_percent = used + free > 0n ? (Number(used) / Number(used + free)) * 100 : 0;
  m.setInt('inodes_total', int(st.files));
  m.setInt('inodes_free', int(st.ffree));
  m.setInt('inodes_used', int(inodesUsed));
  m.fields.inodes_used_percent = st.files > 0n ? (Number(inodesUsed) / Number(st.files)) * 100 : 0;
  return m;
}

export class Disk implements InputInstance {
  private readonly cfg: DiskConfig;
  private readonly ctx: PluginContext;
  private readonly proc: string;
  private readonly prefix: string;
  private readonly ignoreFs: Set<string>;

  constructor(cfg: DiskConfig, ctx: PluginContext) {
    this.cfg = cfg;
    this.ctx = ctx;
    this.proc = hostRoot('proc', cfg.host_proc);
    this.prefix = hostRoot('mount_prefix', cfg.host_mount_prefix).replace(/\/+$/, '');
    this.ignoreFs = new Set(cfg.ignore_fs);
  }

  /** The host's mount table: init's (the host's, even from a container), else our own. */
  private mounts(): Mount[] {
    const text =
      readText(path.join(this.proc, '1', 'mounts')) ?? readText(path.join(this.proc, 'self', 'mounts'));
    if (text === undefined) throw new Error(`cannot read the mount table under ${this.proc}`);
    return parseMounts(text);
  }

  private wanted(m: Mount): boolean {
    if (this.ignoreFs.has(m.fstype)) return false;
    if (this.cfg.ignore_mount_opts.some((o) => m.opts.includes(o))) return false;
    return this.cfg.mount_points.length === 0 || this.cfg.mount_points.includes(m.path);
  }

  gather(acc: Accumulator): void {
    const timeMs = this.ctx.clock.now();
    const batch: Metric[] = [];
    for (const mount of this.mounts()) {
      // In a container the mount table lists host paths; they are reached under the prefix.
      const tagPath =
        this.prefix !== '' && mount.path.startsWith(this.prefix + '/')
          ? mount.path.slice(this.prefix.length)
          : mount.path;
      if (!this.wanted({ ...mount, path: tagPath })) continue;
      let st: fs.BigIntStatsFs;
      try {
        st = fs.statfsSync(this.prefix + tagPath, { bigint: true });
      } catch (err) {
        this.ctx.log.debug({ path: tagPath, err: (err as Error).message }, 'statfs failed; mount skipped');
        continue;
      }
      batch.push(diskMetric(mount, tagPath, st, timeMs));
    }
    if (batch.length > 0) acc.push(batch);
  }
}
