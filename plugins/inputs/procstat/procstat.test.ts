import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { clockTicks, pageSize } from '../../../core/lib/host/proc.ts';
import { fakeTree } from '../../../core/lib/host/testing.ts';
import type { Metric } from '../../../core/model/metric/metric.ts';
import type { Clock } from '../../../core/plugin/types.ts';
import { gatherOnce, parseConfig, TestAccumulator, testContext } from '../../../core/plugin/testing.ts';
import { procstatInput } from './index.ts';

const HZ = clockTicks();

/** /proc/[pid]/stat of a process with the given CPU ticks. */
const stat = (pid: number, comm: string, utime: number, stime: number): string =>
  `${pid} (${comm}) S 1 ${pid} ${pid} 0 -1 4194560 100 0 0 0 ${utime} ${stime} 0 0 20 -5 3 0 ${HZ * 10} ` +
  `104857600 2560 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 7 0 0 0 0\n`;

function fakeProc(nginxUtime = 250): string {
  return fakeTree({
    stat: 'cpu  1 2 3 4\nbtime 1700000000\n',
    meminfo: 'MemTotal: 102400 kB\n',
    '100/stat': stat(100, 'nginx', nginxUtime, 50),
    '100/comm': 'nginx\n',
    '100/cmdline': 'nginx: master process /usr/sbin/nginx\0',
    '100/status':
      'Name:\tnginx\nVmSwap:\t      8 kB\nVmData:\t    400 kB\nVmStk:\t    132 kB\nVmLck:\t      0 kB\n' +
      'voluntary_ctxt_switches:\t12\nnonvoluntary_ctxt_switches:\t3\n',
    '100/io': 'rchar: 9\nwchar: 8\nsyscr: 7\nsyscw: 6\nread_bytes: 4096\nwrite_bytes: 8192\n',
    '100/fd/0': '',
    '100/fd/1': '',
    '101/stat': stat(101, 'nginx', 1, 1),
    '101/comm': 'nginx\n',
    '101/cmdline': 'nginx: worker process\0',
    '200/stat': stat(200, 'bash', 1, 1),
    '200/comm': 'bash\n',
    '200/cmdline': '/bin/bash\0--login\0',
  });
}

/** A created input and a gather that returns what one gather pushed. */
async function gatherer(table: Record<string, unknown>, clock?: Clock): Promise<() => Promise<Metric[]>> {
  const ctx = testContext(procstatInput, { clock });
  const input = await procstatInput.create(parseConfig(procstatInput, table), ctx);
  return async () => {
    const acc = new TestAccumulator();
    await input.gather?.(acc);
    expect(acc.batches.length).toBe(1);
    return acc.metrics;
  };
}

const named = (ms: Metric[], name: string): Metric[] => ms.filter((m) => m.name === name);

describe('procstat input', () => {
  it('should report a process found by pid file with its CPU, memory and I/O', async () => {
    const pidFile = path.join(fakeTree({ 'nginx.pid': '100\n' }), 'nginx.pid');
    const ms = await (await gatherer({ pid_file: pidFile, host_proc: fakeProc() }))();
    const [p] = named(ms, 'procstat');
    expect(p.tags).toEqual({ pidfile: pidFile, process_name: 'nginx' });
    expect(p.fields).toEqual({
      pid: 100,
      ppid: 1,
      num_threads: 3,
      nice_priority: -5,
      realtime_priority: 7,
      cpu_time_user: 250 / HZ,
      cpu_time_system: 50 / HZ,
      cpu_time_iowait: 0,
      memory_rss: 2560 * pageSize(),
      memory_vms: 104857600,
      memory_usage: (100 * 2560 * pageSize()) / (102400 * 1024),
      memory_swap: 8 * 1024,
      memory_data: 400 * 1024,
      memory_stack: 132 * 1024,
      memory_locked: 0,
      voluntary_context_switches: 12,
      involuntary_context_switches: 3,
      read_count: 7,
      write_count: 6,
      read_bytes: 4096,
      write_bytes: 8192,
      num_fds: 2,
      created_at: 1_700_000_010_000_000_000n,
    });
    expect(p.fieldType('memory_rss')).toBe('int');
    expect(p.fieldType('cpu_time_user')).toBe('float');
    const [lookup] = named(ms, 'procstat_lookup');
    expect(lookup.tags).toEqual({ pidfile: pidFile, pid_finder: 'native', result: 'success' });
    expect(lookup.fields).toEqual({ pid_count: 1, running: 1, result_code: 0 });
  });

  it('should report CPU usage in percent of one CPU since the previous gather', async () => {
    const host_proc = fakeProc(250);
    let t = 0;
    const gather = await gatherer({ exe: '^nginx$', host_proc }, { now: () => 1e12 + t, monotonic: () => t });
    expect(named(await gather(), 'procstat').map((m) => m.fields.cpu_usage)).toEqual([undefined, undefined]);
    fakeTree({ '100/stat': stat(100, 'nginx', 250 + HZ / 2, 50) }, host_proc);
    t = 1000;
    const ms = named(await gather(), 'procstat');
    expect(ms.map((m) => m.fields.pid)).toEqual([100, 101]);
    expect(ms[0].fields.cpu_usage).toBeCloseTo(50, 9);
    expect(ms[1].fields.cpu_usage).toBe(0);
  });

  it('should select by command line pattern and tag with pid and command line when asked', async () => {
    const ms = await (
      await gatherer({ pattern: 'worker|login', pid_tag: true, cmdline_tag: true, host_proc: fakeProc() })
    )();
    const procs = named(ms, 'procstat');
    expect(procs.map((m) => m.tags)).toEqual([
      { pattern: 'worker|login', process_name: 'nginx', pid: '101', cmdline: 'nginx: worker process' },
      { pattern: 'worker|login', process_name: 'bash', pid: '200', cmdline: '/bin/bash --login' },
    ]);
    expect(procs[0].fields.pid).toBeUndefined();
  });

  it('should select the processes of a cgroup and count those gone as found but not running', async () => {
    const host_sys = fakeTree({ 'fs/cgroup/system.slice/nginx.service/cgroup.procs': '100\n101\n4242\n' });
    const ms = await (
      await gatherer({
        cgroup: 'system.slice/*.service',
        process_name: 'web',
        prefix: 'nginx',
        host_proc: fakeProc(),
        host_sys,
      })
    )();
    const procs = named(ms, 'procstat');
    expect(procs.map((m) => m.tags.process_name)).toEqual(['web', 'web']);
    expect(procs[0].fields.nginx_memory_vms).toBe(104857600);
    expect(procs[0].fieldType('nginx_memory_vms')).toBe('int');
    expect(named(ms, 'procstat_lookup')[0].fields).toEqual({ pid_count: 3, running: 2, result_code: 0 });
  });

  it('should report a failed lookup when the pid file is missing', async () => {
    const ms = await (await gatherer({ pid_file: '/nonexistent/x.pid', host_proc: fakeProc() }))();
    expect(ms.map((m) => m.name)).toEqual(['procstat_lookup']);
    expect(ms[0].tags.result).toBe('lookup_error');
    expect(ms[0].fields).toEqual({ pid_count: 0, running: 0, result_code: 1 });
  });

  it('should reject a config with two selectors or a bad regular expression', () => {
    expect(() => parseConfig(procstatInput, { exe: 'a', pattern: 'b' })).toThrow(/at most one/);
    expect(() => parseConfig(procstatInput, { pattern: '(' })).toThrow(/invalid regular expression/);
    expect(() => parseConfig(procstatInput, { exe: 'x', pid: 1 })).toThrow();
  });

  it('should find this test process by pid file and report its resident memory', async () => {
    const pidFile = path.join(fakeTree({ 'self.pid': String(process.pid) }), 'self.pid');
    const gather = await gatherer({ pid_file: pidFile });
    await gather();
    const until = Date.now() + 100;
    while (Date.now() < until) Math.sqrt(Math.random());
    const rss = process.memoryUsage().rss;
    const [p] = named(await gather(), 'procstat');
    expect(p.fields.pid).toBe(process.pid);
    expect(p.tags.process_name).toBe(fs.readFileSync('/proc/self/comm', 'utf8').trim());
    expect(Math.abs((p.fields.memory_rss as number) - rss) / rss).toBeLessThan(0.2);
    expect(p.fields.num_threads as number).toBeGreaterThanOrEqual(1);
    expect(p.fields.num_fds as number).toBeGreaterThan(2);
    expect(p.fields.cpu_usage).toBeTypeOf('number');
    const createdMs = Number((p.fields.created_at as bigint) / 1_000_000n);
    expect(createdMs).toBeLessThanOrEqual(Date.now());
    expect(createdMs).toBeGreaterThan(Date.now() - process.uptime() * 1000 - 5000);
  });

  it('should report its own process when no selector is set', async () => {
    const acc = await gatherOnce(procstatInput);
    const [p, lookup] = acc.metrics;
    expect(p.fields.pid).toBe(process.pid);
    expect(lookup.tags).toEqual({ pid_finder: 'native', result: 'success' });
  });

  it('should find this test process by its name on this machine', async () => {
    const comm = fs.readFileSync('/proc/self/comm', 'utf8').trim();
    const acc = await gatherOnce(procstatInput, {
      exe: '^' + comm.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '$',
    });
    expect(acc.metrics.some((m) => m.name === 'procstat' && m.fields.pid === process.pid)).toBe(true);
  });
});
