import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fakeTree } from '../../../core/lib/host/testing.ts';
import { gatherOnce } from '../../../core/plugin/testing.ts';
import { processesInput } from './index.ts';

/** A /proc/[pid]/stat line with the given state and thread count. */
const stat = (pid: number, comm: string, state: string, threads: number): string =>
  `${pid} (${comm}) ${state} 1 ${pid} ${pid} 0 -1 4194560 100 0 0 0 5 3 0 0 20 0 ${threads} 0 1000 10000000 300 ` +
  '18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n';

describe('processes input', () => {
  it('should count processes by state and sum their threads', async () => {
    const states = ['S', 'R', 'D', 'Z', 'T', 't', 'I', 'X', 'W', 'P', 'S'];
    const files: Record<string, string> = { 'self/stat': stat(99, 'self', 'R', 1), meminfo: '' };
    states.forEach(
      (s, i) => (files[`${i + 1}/stat`] = stat(i + 1, i === 10 ? 'we) ird (name' : 'p', s, i + 1)),
    );
    const host_proc = fakeTree(files);
    // A process that exited between the listing and the read leaves an empty directory behind.
    fs.mkdirSync(`${host_proc}/4242`);
    const acc = await gatherOnce(processesInput, { host_proc });
    expect(acc.metrics.length).toBe(1);
    const [m] = acc.metrics;
    expect(m.name).toBe('processes');
    expect(m.fields).toEqual({
      blocked: 1,
      zombies: 1,
      stopped: 2,
      running: 1,
      sleeping: 2,
      total: 11,
      unknown: 1,
      dead: 1,
      paging: 1,
      idle: 1,
      total_threads: 66,
    });
    expect(m.fieldType('total')).toBe('int');
  });

  it('should fail the gather when the proc root holds no process', async () => {
    await expect(gatherOnce(processesInput, { host_proc: fakeTree({ meminfo: '' }) })).rejects.toThrow(
      /no processes/,
    );
  });

  it('should count about as many processes as /proc lists on this machine', async () => {
    const acc = await gatherOnce(processesInput);
    const listed = fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n)).length;
    const f = acc.metrics[0].fields;
    expect(Math.abs((f.total as number) - listed)).toBeLessThanOrEqual(Math.max(10, listed * 0.1));
    expect(f.running as number).toBeGreaterThanOrEqual(1);
    expect(f.total_threads as number).toBeGreaterThanOrEqual(f.total as number);
  });
});
