import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { pageSize } from '../../../core/lib/host/proc.ts';
import { fakeTree } from '../../../core/lib/host/testing.ts';
import { gatherOnce } from '../../../core/plugin/testing.ts';
import { swapInput } from './index.ts';

const MEMINFO = 'MemTotal: 4000 kB\nSwapCached: 0 kB\nSwapTotal: 2000 kB\nSwapFree: 1500 kB\n';
const VMSTAT = 'pgpgin 10\npgpgout 20\npswpin 7\npswpout 3\n';

describe('swap input', () => {
  it('should report swap space in bytes and swapped pages as bytes', async () => {
    const acc = await gatherOnce(swapInput, { host_proc: fakeTree({ meminfo: MEMINFO, vmstat: VMSTAT }) });
    expect(acc.metrics.length).toBe(1);
    const [m] = acc.metrics;
    expect(m.name).toBe('swap');
    expect(m.fields).toEqual({
      total: 2000 * 1024,
      used: 500 * 1024,
      free: 1500 * 1024,
      used_percent: 25,
      in: 7 * pageSize(),
      out: 3 * pageSize(),
    });
    expect(m.fieldType('in')).toBe('int');
  });

  it('should report zero use without swap and leave out in and out without vmstat', async () => {
    const acc = await gatherOnce(swapInput, {
      host_proc: fakeTree({ meminfo: 'SwapTotal: 0 kB\nSwapFree: 0 kB\n' }),
    });
    expect(acc.metrics[0].fields).toEqual({ total: 0, used: 0, free: 0, used_percent: 0 });
  });

  it('should agree with /proc/meminfo and /proc/vmstat on this machine', async () => {
    const acc = await gatherOnce(swapInput);
    const info = fs.readFileSync('/proc/meminfo', 'utf8');
    const vm = fs.readFileSync('/proc/vmstat', 'utf8');
    const f = acc.metrics[0].fields;
    expect(f.total).toBe(Number(/^SwapTotal:\s+(\d+)/m.exec(info)?.[1]) * 1024);
    expect(f.used as number).toBeGreaterThanOrEqual(0);
    expect(f.in as number).toBeLessThanOrEqual(Number(/^pswpin (\d+)/m.exec(vm)?.[1]) * pageSize());
    expect(pageSize() % 4096).toBe(0);
  });
});
