import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parsePidStat } from './pidstat.ts';
import { clockTicks, listPids, pageSize, parseKeyed, readBootTime, readText } from './proc.ts';
import { hostRoot } from './root.ts';
import { fakeTree } from './testing.ts';

describe('host readers', () => {
  it('should take a root from the option, then the environment, then the default', () => {
    expect(hostRoot('proc', '/opt/proc', { HOST_PROC: '/hostfs/proc' })).toBe('/opt/proc');
    expect(hostRoot('proc', '', { HOST_PROC: '/hostfs/proc' })).toBe('/hostfs/proc');
    expect(hostRoot('sys', '', {})).toBe('/sys');
    expect(hostRoot('mount_prefix', '', {})).toBe('');
  });

  it('should parse keyed lines into numbers with kB as bytes, skipping text values', () => {
    const m = parseKeyed('MemTotal:  10 kB\nHugePages_Total:   4\nName:\tbash\npswpin 7\n\n');
    expect([...m]).toEqual([
      ['MemTotal', 10240],
      ['HugePages_Total', 4],
      ['pswpin', 7],
    ]);
  });

  it('should parse a pid stat whose command name holds spaces and parentheses', () => {
    const st = parsePidStat('42 (a) b (c) R 1 42 42 0 -1 0 0 0 0 0 11 22 0 0 20 0 5 0 300 4096 7 0 0 0\n');
    expect(st).toMatchObject({
      pid: 42,
      comm: 'a) b (c',
      state: 'R',
      ppid: 1,
      utime: 11,
      stime: 22,
      numThreads: 5,
    });
    expect(st).toMatchObject({ startTicks: 300, vsize: 4096, rssPages: 7, rtPriority: 0 });
    expect(parsePidStat('garbage')).toBeUndefined();
  });

  it('should treat a missing file as absent and list only numeric entries as pids', () => {
    const root = fakeTree({ '12/stat': '', '7/stat': '', 'self/stat': '', stat: 'btime 1700000000\n' });
    expect(readText(root + '/nope')).toBeUndefined();
    expect(listPids(root).sort((a, b) => a - b)).toEqual([7, 12]);
    expect(readBootTime(root)).toBe(1_700_000_000);
  });

  it("should read this kernel's page size and clock tick from the auxiliary vector", () => {
    expect(pageSize()).toBeGreaterThanOrEqual(4096);
    expect(pageSize() & (pageSize() - 1)).toBe(0);
    expect(clockTicks()).toBe(100);
    expect(listPids('/proc')).toContain(process.pid);
    expect(readBootTime('/proc')).toBe(
      Number(/^btime (\d+)/m.exec(fs.readFileSync('/proc/stat', 'utf8'))?.[1]),
    );
  });
});
