import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fakeTree } from '../../../core/lib/host/testing.ts';
import { gatherOnce } from '../../../core/plugin/testing.ts';
import { memInput } from './index.ts';

const MEMINFO = `MemTotal:        1000 kB
MemFree:          200 kB
MemAvailable:     600 kB
Buffers:           50 kB
Cached:           300 kB
SwapCached:         0 kB
Active:           400 kB
Inactive:         250 kB
Slab:             120 kB
SReclaimable:     100 kB
SUnreclaim:        20 kB
SwapTotal:        512 kB
SwapFree:         256 kB
Shmem:             10 kB
HugePages_Total:       4
HugePages_Free:        1
Hugepagesize:       2048 kB
`;

const kb = (n: number): number => n * 1024;

describe('mem input', () => {
  it('should report meminfo in bytes with used excluding buffers and cache', async () => {
    const acc = await gatherOnce(memInput, { host_proc: fakeTree({ meminfo: MEMINFO }) });
    expect(acc.batches.length).toBe(1);
    const [m] = acc.metrics;
    expect(m.name).toBe('mem');
    expect(m.tags).toEqual({});
    expect(m.fields).toMatchObject({
      total: kb(1000),
      free: kb(200),
      available: kb(600),
      buffered: kb(50),
      cached: kb(400),
      used: kb(350),
      active: kb(400),
      inactive: kb(250),
      slab: kb(120),
      sreclaimable: kb(100),
      sunreclaim: kb(20),
      shared: kb(10),
      swap_total: kb(512),
      swap_free: kb(256),
      huge_pages_total: 4,
      huge_pages_free: 1,
      huge_page_size: kb(2048),
      high_total: 0,
      available_percent: 60,
      used_percent: 35,
    });
    expect(m.fieldType('total')).toBe('int');
    expect(m.fieldType('used_percent')).toBe('float');
  });

  it('should estimate available memory as free plus cache on kernels without MemAvailable', async () => {
    const acc = await gatherOnce(memInput, {
      host_proc: fakeTree({ meminfo: MEMINFO.replace(/^MemAvailable.*\n/m, '') }),
    });
    expect(acc.metrics[0].fields.available).toBe(kb(600));
  });

  it('should report the total of this machine exactly as MemTotal in bytes', async () => {
    const acc = await gatherOnce(memInput);
    const text = fs.readFileSync('/proc/meminfo', 'utf8');
    const memTotal = Number(/^MemTotal:\s+(\d+) kB/m.exec(text)?.[1]);
    const f = acc.metrics[0].fields;
    expect(f.total).toBe(memTotal * 1024);
    expect(f.used as number).toBeGreaterThan(0);
    const parts = ['used', 'free', 'buffered', 'cached'].reduce((s, k) => s + (f[k] as number), 0);
    expect(parts).toBe(f.total);
    expect(f.available_percent as number).toBeGreaterThan(0);
  });

  it('should fail the gather when meminfo cannot be read', async () => {
    await expect(gatherOnce(memInput, { host_proc: fakeTree({}) })).rejects.toThrow(/meminfo/);
  });
});
