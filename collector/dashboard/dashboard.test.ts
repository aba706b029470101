import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { Metric } from '../../core/model/metric/metric.ts';
import { errorRates, pipelineViews, rate, totals } from './frame.ts';
import { COARSE_POINTS, FINE_POINTS, History } from './history.ts';
import { LatencyWindow } from './latency.ts';
import { parseFleetQuery } from './routes.ts';
import { Sessions } from './sessions.ts';
import { DeliveryTap, MAX_ALERTS, MAX_ANOMALIES } from './tap.ts';

const NOW = 1_800_000_000_000;

function alert(name: string, status: 'firing' | 'resolved', tags: Record<string, string> = {}): Metric {
  return new Metric(
    'alert',
    { alertname: name, severity: 'critical', ...tags },
    { status, value: 95, starts_at: NOW - 1000 },
    NOW,
  );
}

describe('LatencyWindow', () => {
  it('should give p50 and p99 within a bucket of the recorded latencies', () => {
    const w = new LatencyWindow(10);
    for (let i = 1; i <= 1000; i++) w.record(i, NOW);
    const [p50, p99] = w.quantiles([0.5, 0.99], NOW);
    expect(p50).toBeGreaterThanOrEqual(500);
    expect(p50).toBeLessThanOrEqual(550);
    expect(p99).toBeGreaterThanOrEqual(990);
    expect(p99).toBeLessThanOrEqual(1100);
  });

  it('should forget latencies older than its window', () => {
    const w = new LatencyWindow(10);
    w.record(5000, NOW);
    expect(w.quantiles([0.5], NOW + 5000)[0]).not.toBeNull();
    expect(w.quantiles([0.5], NOW + 11_000)[0]).toBeNull();
  });

  it('should measure a delivered batch from each metric timestamp', () => {
    const w = new LatencyWindow(10);
    w.recordBatch([{ timeMs: NOW - 2000 }, { timeMs: NOW - 2000 }], NOW);
    const [p50] = w.quantiles([0.5], NOW);
    expect(p50).toBeGreaterThanOrEqual(2000);
    expect(p50).toBeLessThanOrEqual(2200);
  });
});

describe('DeliveryTap', () => {
  it('should list a firing alert, then show it resolved', () => {
    const tap = new DeliveryTap(() => NOW);
    tap.observe([new Metric('cpu', {}, { usage: 1 }, NOW), alert('HighCpu', 'firing', { host: 'web1' })]);
    expect(tap.activeAlerts()).toMatchObject([
      { alertname: 'HighCpu', status: 'firing', labels: { host: 'web1' }, value: 95 },
    ]);
    tap.observe([alert('HighCpu', 'resolved', { host: 'web1' })]);
    expect(tap.activeAlerts()).toMatchObject([{ alertname: 'HighCpu', status: 'resolved' }]);
  });

  it('should keep at most MAX_ALERTS alerts', () => {
    const tap = new DeliveryTap(() => NOW);
    for (let i = 0; i < MAX_ALERTS * 3; i++) tap.observe([alert('A', 'firing', { host: `h${i}` })]);
    expect(tap.activeAlerts()).toHaveLength(MAX_ALERTS);
  });

  it('should ring the last anomalies, from events and from flagged fields, each once', () => {
    const tap = new DeliveryTap(() => NOW);
    const event = new Metric(
      'anomaly',
      { measurement: 'demo', field: 'value0', detector: 'ewma', series: 's1' },
      { score: 0.99, value: 97, reason: 'far off' },
      NOW,
    );
    tap.observe([event]);
    tap.observe([event]); // the same event through a second destination
    tap.observe([
      new Metric('cpu', { host: 'a' }, { usage: 99, usage_anomaly: true, usage_anomaly_score: 0.9 }, NOW),
    ]);
    const list = tap.recentAnomalies();
    expect(list).toHaveLength(2);
    expect(list[0]).toMatchObject({ measurement: 'cpu', field: 'usage', value: 99, score: 0.9 });
    expect(list[1]).toMatchObject({ measurement: 'demo', field: 'value0', score: 0.99, reason: 'far off' });
    for (let i = 0; i < MAX_ANOMALIES * 4; i++)
      tap.observe([new Metric('x', { i: String(i) }, { v: i, v_anomaly: true }, NOW + i)]);
    expect(tap.recentAnomalies()).toHaveLength(MAX_ANOMALIES);
    expect(tap.recentAnomalies()[0].tags.i).toBe(String(MAX_ANOMALIES * 4 - 1));
  });
});

describe('History', () => {
  it('should hold at most 5 minutes at 1 s and an hour at 10 s, whatever the uptime', () => {
    const h = new History();
    for (let s = 0; s < 4 * 3600; s++)
      h.add(NOW + s * 1000, { in: s, out: s, errors: 0, drops: 0, p50: 10, p99: s % 10 === 0 ? 100 : 20 });
    const { fine, coarse } = h.columns();
    expect(fine.t).toHaveLength(FINE_POINTS);
    expect(coarse.t).toHaveLength(COARSE_POINTS);
    expect(fine.t[FINE_POINTS - 1]).toBe(NOW + (4 * 3600 - 1) * 1000);
    // A 10 s point is the mean of its rates and the max of its p99.
    expect(coarse.series.p99.every((v) => v === 100)).toBe(true);
    expect(coarse.t.every((t, i) => i === 0 || t - coarse.t[i - 1] === 10_000)).toBe(true);
  });
});

describe('Sessions', () => {
  const req = (cookie?: string): IncomingMessage =>
    ({ headers: cookie === undefined ? {} : { cookie } }) as IncomingMessage;

  it('should open an HttpOnly SameSite=Strict session that a later request presents', () => {
    const s = new Sessions({ secure: true });
    const header = s.open();
    expect(header).toMatch(/HttpOnly/);
    expect(header).toMatch(/SameSite=Strict/);
    expect(header).toMatch(/Secure/);
    const cookie = header.split(';')[0];
    expect(s.valid(req(`other=1; ${cookie}`))).toBe(true);
    expect(s.valid(req('viva_session=forged'))).toBe(false);
    expect(s.valid(req())).toBe(false);
    s.close(req(cookie));
    expect(s.valid(req(cookie))).toBe(false);
  });

  it('should expire a session after 12 hours', () => {
    let now = NOW;
    const s = new Sessions({ secure: false, now: () => now });
    const cookie = s.open().split(';')[0];
    expect(s.open()).not.toMatch(/Secure/);
    now += 13 * 3600_000;
    expect(s.valid(req(cookie))).toBe(false);
  });
});

describe('parseFleetQuery', () => {
  it('should take known values and drop the rest', () => {
    expect(
      parseFleetQuery(
        new URLSearchParams('sort=errorRate&order=desc&filter=web&health=silent&offset=50&limit=900'),
      ),
    ).toEqual({ sort: 'errorRate', order: 'desc', filter: 'web', health: 'silent', offset: 50, limit: 500 });
    expect(
      parseFleetQuery(new URLSearchParams('sort=__proto__&order=up&health=x&offset=-1&limit=abc')),
    ).toEqual({});
  });
});

describe('frame rates', () => {
  const counter = (name: string, value: number, tags: Record<string, string> = {}): Metric =>
    new Metric(name, tags, { value }, NOW);

  it('should turn counter deltas into per-second rates by route, destination and output', () => {
    const before = totals([
      counter('viva_collector_ingest_metrics', 100, { agent: 'a' }),
      counter('viva_collector_ingest_metrics', 50, { agent: 'b' }),
      counter('viva_collector_route_metrics', 100, { route: 'r1', destination: 'd1' }),
      counter('viva_collector_destination_metrics', 100, { destination: 'd1', output: 'o1' }),
      counter('viva_collector_unrouted', 0),
    ]);
    const after = totals([
      counter('viva_collector_ingest_metrics', 300, { agent: 'a' }),
      counter('viva_collector_ingest_metrics', 250, { agent: 'b' }),
      counter('viva_collector_route_metrics', 500, { route: 'r1', destination: 'd1' }),
      counter('viva_collector_destination_metrics', 300, { destination: 'd1', output: 'o1' }),
      counter('viva_collector_destination_metrics', 100, { destination: 'd1', output: 'o2' }),
      counter('viva_collector_unrouted', 20),
      counter('viva_collector_ingest_rejected', 4, { reason: 'auth' }),
      counter('viva_other', 1e9),
    ]);
    expect(rate(before, after, 'viva_collector_ingest_metrics', 2)).toBe(200);
    const health = {
      ok: true,
      status: 'ok' as const,
      spool: { bytes: 0, full: false },
      destinations: [
        {
          destination: 'd1',
          state: 'failover' as const,
          outputs: [
            { output: 'o1', breaker: 'open' as const, lastError: 'refused' },
            { output: 'o2', breaker: 'closed' as const },
          ],
          lag_records: 3,
          lag_bytes: 10,
          age_seconds: 1.25,
        },
      ],
    };
    const v = pipelineViews(health, before, after, 2);
    expect(v.routes).toEqual([{ route: 'r1', destination: 'd1', rate: 200 }]);
    expect(v.destinations[0]).toMatchObject({
      name: 'd1',
      state: 'failover',
      rate: 150,
      lagRecords: 3,
      outputs: [
        { output: 'o1', breaker: 'open', rate: 100, lastError: 'refused' },
        { output: 'o2', breaker: 'closed', rate: 50 },
      ],
    });
    expect(errorRates(before, after, 2)).toMatchObject({ errors: 2, drops: 10 });
  });

  it('should give 0, not a negative rate, on a first frame or a counter reset', () => {
    const a = totals([counter('viva_collector_ingest_metrics', 100)]);
    const b = totals([counter('viva_collector_ingest_metrics', 10)]);
    expect(rate(null, a, 'viva_collector_ingest_metrics', 1)).toBe(0);
    expect(rate(a, b, 'viva_collector_ingest_metrics', 1)).toBe(0);
  });
});
