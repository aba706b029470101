import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fakeTree } from '../../../core/lib/host/testing.ts';
import { gatherOnce } from '../../../core/plugin/testing.ts';
import { kernelInput } from './index.ts';

const STAT = `cpu  25681 0 5363 291139 347 0 76 17 0 0
cpu0 11437 0 2326 147508 29 0 20 5 0 0
intr 575060 0 0 12 0
ctxt 1382774
btime 1795674597
processes 13143
procs_running 7
procs_blocked 0
softirq 252913 0 35188 5
`;

describe('kernel input', () => {
  it('should report the counters of /proc/stat and the entropy pool', async () => {
    const host_proc = fakeTree({ stat: STAT, 'sys/kernel/random/entropy_avail': '256\n' });
    const acc = await gatherOnce(kernelInput, { host_proc });
    expect(acc.metrics.length).toBe(1);
    const [m] = acc.metrics;
    expect(m.name).toBe('kernel');
    expect(m.fields).toEqual({
      interrupts: 575060,
      context_switches: 1382774,
      boot_time: 1795674597,
      processes_forked: 13143,
      entropy_avail: 256,
    });
    expect(m.fieldType('boot_time')).toBe('int');
  });

  it('should report paged disk pages from a kernel that has a page line, and no entropy when unreadable', async () => {
    const acc = await gatherOnce(kernelInput, { host_proc: fakeTree({ stat: STAT + 'page 5741 1808\n' }) });
    expect(acc.metrics[0].fields).toMatchObject({ disk_pages_in: 5741, disk_pages_out: 1808 });
    expect(acc.metrics[0].fields.entropy_avail).toBeUndefined();
  });

  it('should agree with /proc/stat on this machine', async () => {
    const before = fs.readFileSync('/proc/stat', 'utf8');
    const acc = await gatherOnce(kernelInput);
    const after = fs.readFileSync('/proc/stat', 'utf8');
    const value = (text: string, key: string): number =>
      Number(new RegExp(`^${key} (\\d+)`, 'm').exec(text)?.[1]);
    const f = acc.metrics[0].fields;
    expect(f.boot_time).toBe(value(after, 'btime'));
    for (const [field, key] of [
      ['context_switches', 'ctxt'],
      ['processes_forked', 'processes'],
      ['interrupts', 'intr'],
    ]) {
      expect(f[field] as number).toBeGreaterThanOrEqual(value(before, key));
      expect(f[field] as number).toBeLessThanOrEqual(value(after, key));
    }
    expect(f.entropy_avail as number).toBeGreaterThan(0);
  });
});
