import type { HrTime } from '@opentelemetry/api';
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  DataPointType,
  type MetricData,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { exposition } from './exposition.ts';
import { CounterInstrument, GaugeInstrument, HistogramInstrument, type Instrument } from './instruments.ts';

// The exposition was written by OpenTelemetry's Prometheus exporter until it was replaced by
// exposition.ts; the exporter (a devDependency now) is the reference its bytes are held to.

function hrTime(ms: number): HrTime {
  return [Math.floor(ms / 1000), (ms % 1000) * 1e6];
}

/** The instruments as the SDK's data model, as the agent built it for the serializer. */
function metricData(instruments: Instrument[], end: HrTime): MetricData[] {
  const out: MetricData[] = [];
  const time = { startTime: hrTime(0), endTime: end };
  for (const i of instruments) {
    const descriptor = { name: i.name, description: i.description, unit: '', valueType: 1 };
    if (i.kind === 'counter') {
      const dataPoints = [...i.series.points()].map((p) => ({
        ...time,
        attributes: p.attributes,
        value: p.value.sum,
      }));
      if (dataPoints.length === 0) continue;
      out.push({
        descriptor,
        dataPointType: DataPointType.SUM,
        aggregationTemporality: AggregationTemporality.CUMULATIVE,
        isMonotonic: true,
        dataPoints,
      } as MetricData);
    } else if (i.kind === 'histogram') {
      const dataPoints = [...i.series.points()].map((p) => ({
        ...time,
        attributes: p.attributes,
        value: {
          buckets: { boundaries: [...i.boundaries], counts: [...p.value.counts] },
          count: p.value.count,
          sum: p.value.sum,
          min: p.value.min,
          max: p.value.max,
        },
      }));
      if (dataPoints.length === 0) continue;
      out.push({
        descriptor: { ...descriptor, unit: i.unit },
        dataPointType: DataPointType.HISTOGRAM,
        aggregationTemporality: AggregationTemporality.CUMULATIVE,
        dataPoints,
      } as MetricData);
    } else {
      const dataPoints = i.collect().map((p) => ({ ...time, attributes: p.attributes, value: p.value }));
      if (dataPoints.length === 0) continue;
      out.push({
        descriptor,
        dataPointType: DataPointType.GAUGE,
        aggregationTemporality: AggregationTemporality.CUMULATIVE,
        dataPoints,
      } as MetricData);
    }
  }
  return out;
}

/** What OpenTelemetry's exporter wrote for /metrics (plain) and for text() (stamped). */
function reference(serviceName: string, instruments: Instrument[], timestamps: boolean, now: number): string {
  const resourceMetrics: ResourceMetrics = {
    resource: resourceFromAttributes({ 'service.name': serviceName }),
    scopeMetrics: [{ scope: { name: 'viva' }, metrics: metricData(instruments, hrTime(now)) }],
  };
  const serializer = timestamps
    ? new PrometheusSerializer(undefined, true)
    : new PrometheusSerializer(undefined, false, undefined, false, true);
  return serializer.serialize(resourceMetrics);
}

/** Instruments with what a label or name can hold: escapes, non-string values, odd names. */
function instruments(): Instrument[] {
  const batches = new CounterInstrument('viva_output_batches', 'Batches written');
  batches.add(3, { plugin: 'file', alias: '', kind: 'output' });
  batches.add(2, { kind: 'output', plugin: 'file', alias: '' });
  batches.add(1.5, { plugin: 'influx"db', alias: 'a\\b\nc', kind: 'output' });
  batches.add(7, { 'http.route': '/write', code: 204, ok: true, tags: ['a', 'b'] });
  const total = new CounterInstrument('viva_errors_total', '');
  total.add(1);
  const dotted = new CounterInstrument('9lives.of-a..cat', 'Line one\nline two \\ done');
  dotted.add(4, { 'weird key!': 'v' });
  const unused = new CounterInstrument('viva_unused', 'Never added to');
  const wait = new HistogramInstrument('viva_wait_seconds', 'Waits', 's', [0.1, 1, 2.5]);
  for (const v of [0.05, 0.1, 0.5, 1, 2, 3, 100]) wait.record(v, { output: 'file' });
  wait.record(0.2, { output: 'kafka', alias: '' });
  const inf = new HistogramInstrument('viva_inf_seconds', 'With an Infinity bound', 's', [1, Infinity]);
  inf.record(0.5);
  inf.record(5);
  const gauge = new GaugeInstrument('viva_buffer_size', 'Metrics in a buffer');
  gauge.addCallback((o) => {
    o.observe(5, { output: 'a' });
    o.observe(7, { output: 'b' });
    o.observe(Infinity, { output: 'c' });
    o.observe(-Infinity, { output: 'd' });
    o.observe(0.1 + 0.2, { output: 'e' });
  });
  const empty = new GaugeInstrument('viva_empty', 'Reports nothing');
  empty.addCallback(() => undefined);
  // A counter and a gauge that become the same Prometheus name: the exporter drops the family.
  const clashCounter = new CounterInstrument('viva_clash', 'As a counter');
  clashCounter.add(1);
  const clashGauge = new GaugeInstrument('viva_clash_total', 'As a gauge');
  clashGauge.addCallback((o) => o.observe(2));
  // Two gauges that become one name: one family, the first HELP.
  const a = new GaugeInstrument('viva.same', '');
  a.addCallback((o) => o.observe(1, { n: '1' }));
  const b = new GaugeInstrument('viva_same', 'The second HELP');
  b.addCallback((o) => o.observe(2, { n: '2' }));
  return [batches, total, dotted, unused, wait, inf, gauge, empty, clashCounter, clashGauge, a, b];
}

describe('exposition', () => {
  it('should write the bytes OpenTelemetry’s Prometheus exporter wrote for /metrics', () => {
    const now = 1_780_000_000_123;
    const text = exposition('viva-test', instruments(), false, now);
    expect(text).toBe(reference('viva-test', instruments(), false, now));
    expect(text).toContain(
      'viva_output_batches_total{plugin="influx\\"db",alias="a\\\\b\\nc",kind="output"} 1.5\n',
    );
    expect(text).toContain('# UNIT viva_wait_seconds s\n');
    expect(text).not.toContain('viva_clash');
  });

  it('should write the bytes of the exporter with timestamps and the scope label', () => {
    const now = 1_780_000_000_456;
    const text = exposition('viva', instruments(), true, now);
    expect(text).toBe(reference('viva', instruments(), true, now));
    expect(text).toContain(
      'viva_wait_seconds_bucket{output="file",otel_scope_name="viva",le="+Inf"} 7 1780000000456\n',
    );
  });

  it('should say so when no instrument has a value, as the exporter did', () => {
    const now = 1_780_000_000_000;
    const none = [new CounterInstrument('viva_nothing', 'Nothing')];
    expect(exposition('viva', none, false, now)).toBe(reference('viva', none, false, now));
    expect(exposition('viva', none, false, now)).toContain('# no registered metrics');
  });
});
