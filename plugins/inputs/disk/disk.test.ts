import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fakeTree } from '../../../core/lib/host/testing.ts';
import { gatherOnce } from '../../../core/plugin/testing.ts';
import { diskMetric, parseMounts } from './disk.ts';
import { diskInput } from './index.ts';

const MOUNTS = [
  'proc /proc proc rw,relatime 0 0',
  '/dev/vda / ext4 rw,relatime 0 0',
  'tmpfs /dev/shm tmpfs rw,relatime 0 0',
  '/dev/sdb1 /mnt/my\\040disk xfs ro,relatime 0 0',
  '/dev/vdb /srv ext4 rw,bind 0 0',
  '',
].join('\n');

describe('disk input', () => {
  it('should parse the mount table, unescaping paths and keeping the last of a path mounted twice', () => {
    const mounts = parseMounts(MOUNTS + 'overlay / overlay rw 0 0\n');
    expect(mounts.map((m) => m.path)).toEqual(['/proc', '/dev/shm', '/mnt/my disk', '/srv', '/']);
    expect(mounts[2]).toEqual({
      device: '/dev/sdb1',
      path: '/mnt/my disk',
      fstype: 'xfs',
      opts: ['ro', 'relatime'],
    });
  });

  it('should compute space and inodes from statfs, used percent of the space users can use', () => {
    const st = {
      type: 0n,
      bsize: 4096n,
      frsize: 4096n,
      blocks: 1000n,
      bfree: 300n,
      bavail: 200n,
      files: 100n,
      ffree: 40n,
    };
    const m = diskMetric(parseMounts(MOUNTS)[3], '/mnt/my disk', st, 0);
    expect(m.name).toBe('disk');
    expect(m.tags).toEqual({ path: '/mnt/my disk', device: 'sdb1', fstype: 'xfs', mode: 'ro' });
    expect(m.fields).toEqual({
      total: 4_096_000,
      free: 819_200,
      used: 2_867_200,
      used_percent: (700 / 900) * 100,
      inodes_total: 100,
      inodes_free: 40,
      inodes_used: 60,
      inodes_used_percent: 60,
    });
    expect(m.fieldType('total')).toBe('int');
  });

  it('should skip pseudo filesystems, unwanted options and mounts it cannot stat', async () => {
    const host_proc = fakeTree({ 'self/mounts': MOUNTS });
    const acc = await gatherOnce(diskInput, { host_proc, ignore_mount_opts: ['bind'] });
    expect(acc.metrics.map((m) => m.tags.path)).toEqual(['/']);
    expect(acc.metrics[0].tags).toEqual({ path: '/', device: 'vda', fstype: 'ext4', mode: 'rw' });
  });

  it('should stat host mounts under the mount prefix and report their host paths', async () => {
    const prefix = fakeTree({ 'srv/file': 'x' });
    const host_proc = fakeTree({ '1/mounts': MOUNTS });
    const acc = await gatherOnce(diskInput, {
      host_proc,
      host_mount_prefix: prefix,
      mount_points: ['/srv', '/'],
    });
    expect(acc.metrics.map((m) => m.tags.path)).toEqual(['/', '/srv']);
    expect(acc.metrics[1].fields.total).toBe(acc.metrics[0].fields.total);
  });

  it('should report the root filesystem of this machine as statfs sees it', async () => {
    const acc = await gatherOnce(diskInput, { mount_points: ['/'] });
    expect(acc.metrics.length).toBe(1);
    const f = acc.metrics[0].fields;
    const st = fs.statfsSync('/');
    expect(f.total).toBe(st.blocks * st.frsize);
    expect(f.inodes_total).toBe(st.files);
    // Free space moves while tests run; allow 64 MiB of drift.
    expect(Math.abs((f.free as number) - st.bavail * st.frsize)).toBeLessThan(64 * 2 ** 20);
  });
});
