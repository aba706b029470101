import fs from 'node:fs';
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { fakeTree } from '../../../core/lib/host/testing.ts';
import { parseConfig, TestAccumulator, testContext } from '../../../core/plugin/testing.ts';
import type { Metric } from '../../../core/model/metric/metric.ts';
import { cpuInput } from './index.ts';

const USAGE = ['user', 'system', 'idle', 'nice', 'iowait', 'irq', 'softirq', 'steal', 'guest', 'guest_nice'];

async function gatherer(table: Record<string, unknown>): Promise<() => Promise<Metric[]>> {
  const input = await cpuInput.create(parseConfig(cpuInput, table), testContext(cpuInput));
  return async () => {
    const acc = new TestAccumulator();
    await input.gather?.(acc);
    expect(acc.batches.length).toBeLessThanOrEqual(1);
    return acc.metrics;
  };
}

const byCpu = (ms: Metric[], cpu: string): Metric | undefined => ms.find((m) => m.tags.cpu === cpu);

describe('cpu input', () => {
  const first =
    'cpu  100 10 50 800 20 5 5 10 0 0\ncpu0 60 10 20 400 10 0 0 0 0 0\ncpu1 40 0 30 400 10 5 5 10 0 0\nintr 1\n';
  const second =
    'cpu  200 10 100 1400 20 5 15 50 40 0\ncpu0 110 10 40 700 10 0 5 25 20 0\ncpu1 90 0 60 700 10 5 10 25 20 0\nintr 1\n';

  it('should report nothing on the first gather and percentages of the interval on the second', async () => {
    const root = fakeTree({ stat: first });
    const gather = await gatherer({ host_proc: root });
    expect(await gather()).toEqual([]);
    fakeTree({ stat: second }, root);
    const ms = await gather();
    expect(ms.map((m) => m.tags.cpu)).toEqual(['cpu-total', 'cpu0', 'cpu1']);
    // total delta = 100+0+50+600+0+0+10+40 = 800 ticks; guest (40) is taken out of user.
    expect(byCpu(ms, 'cpu-total')?.fields).toEqual({
      usage_user: 7.5,
      usage_system: 6.25,
      usage_idle: 75,
      usage_nice: 0,
      usage_iowait: 0,
      usage_irq: 0,
      usage_softirq: 1.25,
      usage_steal: 5,
      usage_guest: 5,
      usage_guest_nice: 0,
    });
    expect(ms[0].name).toBe('cpu');
    expect(ms[0].fieldType('usage_idle')).toBe('float');
  });

  it('should report cumulative times in seconds and the active share when asked', async () => {
    const root = fakeTree({ stat: first });
    const gather = await gatherer({
      host_proc: root,
      percpu: false,
      collect_cpu_time: true,
      report_active: true,
    });
    const [m] = await gather();
    expect(m.tags).toEqual({ cpu: 'cpu-total' });
    expect(m.fields).toEqual({
      time_user: 1,
      time_nice: 0.1,
      time_system: 0.5,
      time_idle: 8,
      time_iowait: 0.2,
      time_irq: 0.05,
      time_softirq: 0.05,
      time_steal: 0.1,
      time_guest: 0,
      time_guest_nice: 0,
      time_active: 1.8,
    });
    fakeTree({ stat: second }, root);
    const [m2] = await gather();
    expect(m2.fields.usage_active).toBe(25);
    expect(m2.fields.time_idle).toBe(14);
  });

  it('should leave out the total or the cores when told to', async () => {
    const root = fakeTree({ stat: first });
    const gather = await gatherer({ host_proc: root, totalcpu: false, collect_cpu_time: true });
    expect((await gather()).map((m) => m.tags.cpu)).toEqual(['cpu0', 'cpu1']);
  });

  it('should skip a CPU whose counters went backwards', async () => {
    const root = fakeTree({ stat: second });
    const gather = await gatherer({ host_proc: root });
    await gather();
    fakeTree({ stat: first }, root);
    expect(await gather()).toEqual([]);
  });

  it('should report usage percentages on this machine that sum to 100', async () => {
    const gather = await gatherer({});
    await gather();
    const until = Date.now() + 300;
    while (Date.now() < until) Math.sqrt(Math.random());
    const ms = await gather();
    const cores = fs.readFileSync('/proc/stat', 'utf8').match(/^cpu\d+ /gm)?.length;
    expect(ms.length).toBe((cores ?? os.cpus().length) + 1);
    for (const m of ms) {
      const sum = USAGE.reduce((s, k) => s + (m.fields['usage_' + k] as number), 0);
      expect(sum).toBeCloseTo(100, 6);
    }
    expect(byCpu(ms, 'cpu-total')?.fields.usage_idle).toBeLessThan(100);
  });
});
