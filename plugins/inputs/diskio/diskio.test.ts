import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fakeTree } from '../../../core/lib/host/testing.ts';
import { gatherOnce } from '../../../core/plugin/testing.ts';
import { diskioInput } from './index.ts';

const DISKSTATS = [
  '   7       0 loop0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0',
  ' 254       0 vda 61615 10091 3630290 13829 17276 28059 3180384 6824 2 6064 21160 4454 26 446616 288 2889 218',
  ' 254       1 vda1 100 1 800 10 20 2 160 5 0 12 15',
  ' 259       0 nvme0n1 1 2 3 4 5 6 7 8 9 10 11',
  '   8       1 sda1 5 6 7 8',
  '',
].join('\n');

describe('diskio input', () => {
  it('should report the counters of each device with sectors as bytes', async () => {
    const acc = await gatherOnce(diskioInput, { host_proc: fakeTree({ diskstats: DISKSTATS }) });
    expect(acc.batches.length).toBe(1);
    expect(acc.metrics.map((m) => m.tags.name)).toEqual(['loop0', 'vda', 'vda1', 'nvme0n1']);
    const vda = acc.metrics[1];
    expect(vda.name).toBe('diskio');
    expect(vda.fields).toEqual({
      reads: 61615,
      merged_reads: 10091,
      read_bytes: 3630290 * 512,
      read_time: 13829,
      writes: 17276,
      merged_writes: 28059,
      write_bytes: 3180384 * 512,
      write_time: 6824,
      iops_in_progress: 2,
      io_time: 6064,
      weighted_io_time: 21160,
    });
    expect(vda.fieldType('reads')).toBe('int');
  });

  it('should report only the devices matching the globs', async () => {
    const acc = await gatherOnce(diskioInput, {
      host_proc: fakeTree({ diskstats: DISKSTATS }),
      devices: ['vd?', 'nvme*'],
    });
    expect(acc.metrics.map((m) => m.tags.name)).toEqual(['vda', 'nvme0n1']);
  });

  it('should report counters of this machine that never run behind /proc/diskstats', async () => {
    const readsByDevice = (text: string): Map<string, number> =>
      new Map(
        text
          .split('\n')
          .map((l) => l.trim().split(/\s+/))
          .filter((c) => c.length >= 14)
          .map((c) => [c[2], Number(c[3])]),
      );
    const before = readsByDevice(fs.readFileSync('/proc/diskstats', 'utf8'));
    const acc = await gatherOnce(diskioInput);
    const after = readsByDevice(fs.readFileSync('/proc/diskstats', 'utf8'));
    expect(acc.metrics.map((m) => m.tags.name)).toEqual([...after.keys()]);
    for (const m of acc.metrics) {
      expect(m.fields.reads as number).toBeGreaterThanOrEqual(before.get(m.tags.name) ?? 0);
      expect(m.fields.reads as number).toBeLessThanOrEqual(after.get(m.tags.name) ?? 0);
    }
  });
});
