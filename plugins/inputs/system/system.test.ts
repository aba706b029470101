import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fakeTree } from '../../../core/lib/host/testing.ts';
import { gatherOnce } from '../../../core/plugin/testing.ts';
import { systemInput } from './index.ts';
import { formatUptime } from './system.ts';
import { UTMP_RECORD, utmpUsers } from './utmp.ts';

/** utmp records as glibc writes them on x86_64. */
function utmp(records: [type: number, user: string][]): Buffer {
  const buf = Buffer.alloc(records.length * UTMP_RECORD);
  records.forEach(([type, user], i) => {
    buf.writeInt16LE(type, i * UTMP_RECORD);
    buf.write(user, i * UTMP_RECORD + 44, 'utf8');
  });
  return buf;
}

const PROC = {
  loadavg: '1.65 0.95 0.38 2/278 12925\n',
  uptime: '266523.18 2911.39\n',
  stat: 'cpu  1 2 3 4\ncpu0 1 1 1 1\ncpu1 1 1 1 1\ncpu2 1 1 1 1\nintr 5\n',
};

describe('system input', () => {
  it('should report load, CPUs, uptime and logged-in users', async () => {
    const host_var = fakeTree({
      'run/utmp': utmp([
        [2, 'reboot'],
        [7, 'alice'],
        [7, 'bob'],
        [8, 'carol'],
        [7, 'alice'],
      ]),
    });
    const acc = await gatherOnce(systemInput, { host_proc: fakeTree(PROC), host_var });
    expect(acc.metrics.length).toBe(1);
    const [m] = acc.metrics;
    expect(m.name).toBe('system');
    expect(m.fields).toEqual({
      load1: 1.65,
      load5: 0.95,
      load15: 0.38,
      n_cpus: 3,
      n_users: 3,
      n_unique_users: 2,
      uptime: 266523,
      uptime_format: '3 days,  2:02',
    });
    expect(m.fieldType('uptime')).toBe('int');
    expect(m.fieldType('load1')).toBe('float');
  });

  it('should report no users when the host keeps no utmp', async () => {
    const acc = await gatherOnce(systemInput, { host_proc: fakeTree(PROC), host_var: fakeTree({}) });
    expect(acc.metrics[0].fields).toMatchObject({ n_users: 0, n_unique_users: 0 });
  });

  it('should format uptime like uptime(1)', () => {
    expect(formatUptime(59)).toBe(' 0:00');
    expect(formatUptime(3600 * 5 + 60 * 7)).toBe(' 5:07');
    expect(formatUptime(86400 + 3600 * 13 + 60)).toBe('1 day, 13:01');
  });

  it('should agree with /proc/loadavg, /proc/uptime and utmp on this machine', async () => {
    const acc = await gatherOnce(systemInput);
    const f = acc.metrics[0].fields;
    const [load1] = fs.readFileSync('/proc/loadavg', 'utf8').split(' ').map(Number);
    const uptime = Number(fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    const cpus = fs.readFileSync('/proc/stat', 'utf8').match(/^cpu\d+ /gm)?.length;
    expect(Math.abs((f.load1 as number) - load1)).toBeLessThan(0.5);
    expect(uptime - (f.uptime as number)).toBeGreaterThanOrEqual(0);
    expect(uptime - (f.uptime as number)).toBeLessThan(2);
    expect(f.n_cpus).toBe(cpus);
    const users = fs.existsSync('/var/run/utmp') ? utmpUsers(fs.readFileSync('/var/run/utmp')).length : 0;
    expect(f.n_users).toBe(users);
  });
});
