/**
 * The Prometheus exposition of the self-metrics, written by OpenTelemetry's own serializer
 * (@opentelemetry/exporter-prometheus), loaded on the first call: the SDK, its resources and
 * semantic conventions cost an idle agent about 10 MB RSS it pays only once /metrics is read.
 */
import type { HrTime } from '@opentelemetry/api';
import type { resourceFromAttributes } from '@opentelemetry/resources';
import type {
  AggregationTemporality,
  DataPointType,
  MetricData,
  ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import type { Instrument } from './instruments.ts';

type Otel = {
  serializers: {
    plain: { serialize(r: ResourceMetrics): string };
    stamped: { serialize(r: ResourceMetrics): string };
  };
  DataPointType: typeof DataPointType;
  AggregationTemporality: typeof AggregationTemporality;
  resourceFromAttributes: typeof resourceFromAttributes;
};

let loading: Promise<Otel> | undefined;

/** Loads the serializer and what its data model needs, once per process. */
function otel(): Promise<Otel> {
  loading ??= (async () => {
    const [{ PrometheusSerializer }, sdk, resources] = await Promise.all([
      import('@opentelemetry/exporter-prometheus'),
      import('@opentelemetry/sdk-metrics'),
      import('@opentelemetry/resources'),
    ]);
    return {
      // /metrics: no scope label, no timestamps (the exporter's defaults with withoutScopeInfo).
      serializers: {
        plain: new PrometheusSerializer(undefined, false, undefined, false, true),
        stamped: new PrometheusSerializer(undefined, true),
      },
      DataPointType: sdk.DataPointType,
      AggregationTemporality: sdk.AggregationTemporality,
      resourceFromAttributes: resources.resourceFromAttributes,
    };
  })();
  return loading;
}

function hrTime(ms: number): HrTime {
  return [Math.floor(ms / 1000), (ms % 1000) * 1e6];
}

/** The instruments as the SDK's data model, as much of it as the serializer reads. */
function metricData(o: Otel, instruments: Iterable<Instrument>, start: HrTime, end: HrTime): MetricData[] {
  const out: MetricData[] = [];
  const time = { startTime: start, endTime: end };
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
        dataPointType: o.DataPointType.SUM,
        aggregationTemporality: o.AggregationTemporality.CUMULATIVE,
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
        dataPointType: o.DataPointType.HISTOGRAM,
        aggregationTemporality: o.AggregationTemporality.CUMULATIVE,
        dataPoints,
      } as MetricData);
    } else {
      const dataPoints = i.collect().map((p) => ({ ...time, attributes: p.attributes, value: p.value }));
      if (dataPoints.length === 0) continue;
      out.push({
        descriptor,
        dataPointType: o.DataPointType.GAUGE,
        aggregationTemporality: o.AggregationTemporality.CUMULATIVE,
        dataPoints,
      } as MetricData);
    }
  }
  return out;
}

/**
 * The exposition text of the instruments: `timestamps` adds each sample's time and the
 * `otel_scope_name` label (the text tests and the dashboard read), else as /metrics serves it.
 */
export async function exposition(
  serviceName: string,
  startMs: number,
  instruments: Iterable<Instrument>,
  timestamps: boolean,
): Promise<string> {
  const o = await otel();
  const resourceMetrics: ResourceMetrics = {
    resource: o.resourceFromAttributes({ 'service.name': serviceName }),
    scopeMetrics: [
      { scope: { name: 'viva' }, metrics: metricData(o, instruments, hrTime(startMs), hrTime(Date.now())) },
    ],
  };
  return (timestamps ? o.serializers.stamped : o.serializers.plain).serialize(resourceMetrics);
}
