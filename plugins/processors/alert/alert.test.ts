import { describe, expect, it } from 'vitest';
import { Metric } from '../../../core/model/metric/metric.ts';
import { parseConfig, testContext } from '../../../core/plugin/testing.ts';
import type { Clock, PluginContext } from '../../../core/plugin/types.ts';
import type { AlertProcessor } from './alert.ts';
import { alertProcessor } from './index.ts';

const S = 1000;
const fixedClock: Clock = { now: () => 0, monotonic: () => 0 };

function create(
  table: Record<string, unknown>,
  ctx: PluginContext = testContext(alertProcessor, { clock: fixedClock }),
): AlertProcessor {
  return alertProcessor.create(
    parseConfig(alertProcessor, { alert: 'HighCpu', value: 'fields.usage', ...table }),
    ctx,
  ) as AlertProcessor;
}

const cpu = (t: number, usage: number, host = 'a') => new Metric('cpu', { host }, { usage }, t * S);

/** Feeds (second, value) samples one batch each and lists the alert events as [second, status, severity]. */
function run(p: AlertProcessor, samples: [number, number][], host = 'a'): [number, string, string][] {
  const out: [number, string, string][] = [];
  for (const [t, v] of samples)
    for (const m of p.process([cpu(t, v, host)]))
      if (m.name === 'alert') out.push([m.timeMs / S, m.fields.status as string, m.tags.severity]);
  return out;
}

const levels = { warning: 80, critical: 90 };

describe('alert processor', () => {
  it('should fire at the reached level, change severity, and resolve, emitting only state changes', () => {
    const p = create(levels);
    expect(
      run(p, [
        [0, 70],
        [10, 85],
        [20, 86],
        [30, 95],
        [40, 96],
        [50, 85],
        [60, 70],
        [70, 60],
      ]),
    ).toEqual([
      [10, 'firing', 'warning'],
      [30, 'firing', 'critical'],
      [50, 'firing', 'warning'],
      [60, 'resolved', 'warning'],
    ]);
  });

  it('should describe the alert in the event: labels as tags, value, start and end, annotations', () => {
    const p = create({
      ...levels,
      labels: { team: 'ops', where: '{{host}}' },
      annotations: { summary: '{{alert}} on {{host}}: {{value}}% ({{severity}})' },
    });
    const [firing] = p.process([cpu(10, 85)]).slice(1);
    expect(firing.name).toBe('alert');
    expect(firing.tags).toEqual({
      host: 'a',
      team: 'ops',
      where: 'a',
      alertname: 'HighCpu',
      severity: 'warning',
    });
    expect(firing.timeMs).toBe(10 * S);
    expect(firing.fields).toEqual({
      status: 'firing',
      value: 85,
      starts_at: 10 * S,
      annotation_summary: 'HighCpu on a: 85% (warning)',
    });
    const [resolved] = p.process([cpu(20, 10)]).slice(1);
    expect(resolved.fields).toMatchObject({
      status: 'resolved',
      value: 10,
      starts_at: 10 * S,
      ends_at: 20 * S,
    });
  });

  it('should name the severity a firing alert replaces when its severity changes', () => {
    const p = create(levels);
    const events = [cpu(0, 85), cpu(10, 95), cpu(20, 50)].flatMap((m) => p.process([m]).slice(1));
    expect(events.map((e) => [e.fields.status, e.tags.severity, e.fields.previous_severity])).toEqual([
      ['firing', 'warning', undefined],
      ['firing', 'critical', 'warning'],
      ['resolved', 'critical', undefined],
    ]);
  });

  it('should keep a reached level until the value is the hysteresis back past its threshold', () => {
    const p = create({ ...levels, hysteresis: 5 });
    expect(
      run(p, [
        [0, 91],
        [10, 86],
        [20, 84],
        [30, 76],
        [40, 74],
      ]),
    ).toEqual([
      [0, 'firing', 'critical'],
      [20, 'firing', 'warning'],
      [40, 'resolved', 'warning'],
    ]);
  });

  it('should compare downwards with direction "below"', () => {
    const p = create({ value: 'fields.free', direction: 'below', warning: 20, critical: 10 });
    const free = (t: number, v: number) => new Metric('disk', { path: '/' }, { free: v }, t * S);
    const events = [free(0, 50), free(1, 15), free(2, 5), free(3, 30)].flatMap((m) =>
      p.process([m]).slice(1),
    );
    expect(events.map((e) => [e.fields.status, e.tags.severity])).toEqual([
      ['firing', 'warning'],
      ['firing', 'critical'],
      ['resolved', 'critical'],
    ]);
  });

  it('should wait `for` before firing and forget a pending alert whose condition cleared', () => {
    const p = create({ ...levels, for: '30s' });
    expect(
      run(p, [
        [0, 85],
        [20, 85],
        [25, 70],
        [30, 85],
        [50, 85],
        [60, 85],
      ]),
    ).toEqual([[60, 'firing', 'warning']]);
  });

  it('should keep firing for keep_firing_for after the condition cleared', () => {
    const p = create({ ...levels, keep_firing_for: '60s', repeat_interval: '1h' });
    expect(
      run(p, [
        [0, 85],
        [100, 50],
        [130, 85],
        [140, 50],
        [199, 50],
        [200, 50],
      ]),
    ).toEqual([
      [0, 'firing', 'warning'],
      [200, 'resolved', 'warning'],
    ]);
  });

  it('should fire on a condition such as an anomaly flag', () => {
    const p = create({ alert: 'CpuAnomaly', value: 'fields.usage_anomaly', severity: 'warning' });
    const m = (t: number, flag: boolean) =>
      new Metric('cpu', { host: 'a' }, { usage: 1, usage_anomaly: flag }, t * S);
    const events = [
      m(0, false),
      m(1, true),
      m(2, true),
      m(3, false),
      new Metric('cpu', { host: 'a' }, { usage: 1 }, 4 * S),
    ].flatMap((x) => p.process([x]).slice(1));
    expect(events.map((e) => [e.timeMs / S, e.fields.status, e.tags.severity, e.fields.value])).toEqual([
      [1, 'firing', 'warning', 1],
      [3, 'resolved', 'warning', 0],
    ]);
  });

  it('should keep one alert per key', () => {
    const p = create({ ...levels, by: ['host'] });
    expect(run(p, [[0, 85]], 'a')).toEqual([[0, 'firing', 'warning']]);
    expect(run(p, [[0, 95]], 'b')).toEqual([[0, 'firing', 'critical']]);
    expect(run(p, [[10, 50]], 'a')).toEqual([[10, 'resolved', 'warning']]);
  });

  it('should re-send a firing alert every repeat_interval and resolve it when its series goes stale, on tick', () => {
    const p = create({ ...levels, repeat_interval: '1m', stale_after: '150s' });
    expect(p.tickInterval).toBe(1000);
    expect(
      p
        .process([cpu(0, 85)], 0)
        .slice(1)
        .map((m) => m.fields.status),
    ).toEqual(['firing']);
    const emitted: Metric[] = [];
    for (let t = 1; t <= 151; t++) emitted.push(...p.tick(t * S));
    expect(emitted.map((m) => [m.fields.status, m.timeMs, m.fields.starts_at])).toEqual([
      ['firing', 60 * S, 0],
      ['firing', 120 * S, 0],
      ['resolved', 150 * S, 0],
    ]);
    expect(p.tick(300 * S)).toEqual([]);
  });

  it('should carry a firing alert across a restart without re-firing it, and still resolve it', async () => {
    const ctx = testContext(alertProcessor, { clock: fixedClock });
    const p = create(levels, ctx);
    expect(run(p, [[0, 85]])).toEqual([[0, 'firing', 'warning']]);
    await p.stop();
    const q = create(levels, ctx);
    expect(run(q, [[10, 86]])).toEqual([]);
    const events = q.process([cpu(20, 10)]).slice(1);
    expect(events.map((e) => [e.fields.status, e.fields.starts_at])).toEqual([['resolved', 0]]);
    await q.stop();
    // Resolved before the restart: nothing left to resolve after it.
    const r = create(levels, ctx);
    expect(run(r, [[30, 10]])).toEqual([]);
  });

  it('should keep every state change across a crash (no stop): no re-fire, no second resolve', () => {
    const ctx = testContext(alertProcessor, { clock: fixedClock });
    const p = create(levels, ctx);
    expect(run(p, [[0, 85]])).toEqual([[0, 'firing', 'warning']]);
    // Crash: p is never stopped. The next instance knows the alert fires since 0.
    const q = create(levels, ctx);
    expect(run(q, [[10, 86]])).toEqual([]);
    const events = q.process([cpu(20, 10)]).slice(1);
    expect(events.map((e) => [e.fields.status, e.fields.starts_at])).toEqual([['resolved', 0]]);
    // Crash again, right after the resolve left: it is not resolved again.
    const r = create(levels, ctx);
    expect(run(r, [[30, 10]])).toEqual([]);
    expect(run(r, [[40, 95]])).toEqual([[40, 'firing', 'critical']]);
  });

  it('should start fresh when the saved state belongs to another rule', async () => {
    const ctx = testContext(alertProcessor, { clock: fixedClock });
    const p = create(levels, ctx);
    run(p, [[0, 85]]);
    await p.stop();
    const q = create({ ...levels, value: 'fields.usage + 0' }, ctx);
    expect(run(q, [[10, 86]])).toEqual([[10, 'firing', 'warning']]);
  });
});
