/**
 * VIVA's self-metrics through the OpenTelemetry API, read by the Prometheus exporter and served
 * on the agent's /metrics. One instance per process; plugin stats are pre-bound to attributes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Attributes, Counter, Histogram, Meter } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { Metric } from '../../model/metric/metric.ts';
import type { PluginId, PluginMetrics } from '../../plugin/types.ts';

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

type Gauge = { value: number; attrs: Attributes };

/** Process-wide self-telemetry. */
export class Telemetry {
  readonly meter: Meter;
  private readonly exporter: PrometheusExporter;
  private readonly provider: MeterProvider;
  private readonly counters = new Map<string, Counter>();
  private readonly histograms = new Map<string, Histogram>();
  private readonly gauges = new Map<string, Map<string, Gauge>>();

  constructor(serviceName = 'viva') {
    this.exporter = new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true });
    this.provider = new MeterProvider({
      readers: [this.exporter],
      resource: resourceFromAttributes({ 'service.name': serviceName }),
    });
    this.meter = this.provider.getMeter('viva');
  }

  /** A counter by name (created once); `_total` is appended by the exporter. */
  counter(name: string, description: string): Counter {
    let c = this.counters.get(name);
    if (c === undefined) {
      c = this.meter.createCounter(name, { description });
      this.counters.set(name, c);
    }
    return c;
  }

  /** A histogram by name with latency buckets in seconds. */
  histogram(name: string, description: string, buckets = LATENCY_BUCKETS): Histogram {
    let h = this.histograms.get(name);
    if (h === undefined) {
      h = this.meter.createHistogram(name, {
        description,
        unit: 's',
        advice: { explicitBucketBoundaries: buckets },
      });
      this.histograms.set(name, h);
    }
    return h;
  }

  /** Sets a gauge value for an attribute set (last value wins); `remove` forgets it. */
  gauge(
    name: string,
    description: string,
  ): { set(value: number, attrs: Attributes): void; remove(attrs: Attributes): void } {
    let series = this.gauges.get(name);
    if (series === undefined) {
      const s = new Map<string, Gauge>();
      series = s;
      this.gauges.set(name, s);
      this.meter.createObservableGauge(name, { description }).addCallback((r) => {
        for (const g of s.values()) r.observe(g.value, g.attrs);
      });
    }
    const s = series;
    return {
      set: (value, attrs) => {
        s.set(JSON.stringify(attrs), { value, attrs });
      },
      remove: (attrs) => {
        s.delete(JSON.stringify(attrs));
      },
    };
  }

  /** Serves the Prometheus exposition (for the admin server's /metrics route). */
  handle(req: IncomingMessage, res: ServerResponse): void {
    this.exporter.getMetricsRequestHandler(req, res);
  }

  /** The exposition text, for tests and the dashboard. */
  async text(): Promise<string> {
    const { PrometheusSerializer } = await import('@opentelemetry/exporter-prometheus');
    const { resourceMetrics } = await this.exporter.collect();
    return new PrometheusSerializer(undefined, true).serialize(resourceMetrics);
  }

  /** Every self-metric as a Metric: one per data point, attributes as tags. */
  async snapshot(): Promise<Metric[]> {
    const { resourceMetrics } = await this.exporter.collect();
    const now = Date.now();
    const out: Metric[] = [];
    for (const scope of resourceMetrics.scopeMetrics) {
      for (const md of scope.metrics) {
        for (const dp of md.dataPoints as { attributes: Attributes; value: unknown }[]) {
          const tags: Record<string, string> = {};
          for (const [k, v] of Object.entries(dp.attributes))
            if (v !== undefined && v !== '') tags[k] = String(v);
          const v = dp.value;
          if (typeof v === 'number') out.push(new Metric(md.descriptor.name, tags, { value: v }, now));
          else if (typeof v === 'object' && v !== null && 'count' in v) {
            const h = v as { count: number; sum?: number };
            out.push(new Metric(md.descriptor.name, tags, { count: h.count, sum: h.sum ?? 0 }, now));
          }
        }
      }
    }
    return out;
  }

  private loopDelay: ReturnType<typeof monitorEventLoopDelay> | undefined;

  /**
   * Event-loop delay of this process since it started, as gauges in seconds:
   * `viva_process_event_loop_delay_seconds{quantile="0.5"|"0.99"|"max"}` (a stalled loop delays
   * every socket and timer; a soak records it next to RSS).
   */
  monitorEventLoop(): void {
    if (this.loopDelay !== undefined) return;
    // The histogram records the time between its timer's runs: the resolution is subtracted.
    const resolutionMs = 10;
    const h = monitorEventLoopDelay({ resolution: resolutionMs });
    const seconds = (ns: number): number => Math.max(0, ns / 1e9 - resolutionMs / 1000);
    h.enable();
    this.loopDelay = h;
    this.meter
      .createObservableGauge('viva_process_event_loop_delay_seconds', {
        description: 'Event-loop delay since the process started, by quantile (and max)',
      })
      .addCallback((r) => {
        r.observe(seconds(h.percentile(50)), { quantile: '0.5' });
        r.observe(seconds(h.percentile(99)), { quantile: '0.99' });
        r.observe(seconds(h.max), { quantile: 'max' });
      });
  }

  async shutdown(): Promise<void> {
    this.loopDelay?.disable();
    await this.provider.shutdown();
  }
}

/** Attributes identifying a plugin instance on every self-metric. */
export function pluginAttrs(id: PluginId): Attributes {
  return { plugin: id.name, alias: id.alias ?? '', kind: id.kind };
}

/** The PluginMetrics a plugin sees: its own instruments, prefixed and attributed. */
export function pluginMetrics(t: Telemetry, id: PluginId): PluginMetrics {
  const base = pluginAttrs(id);
  const name = (n: string): string => `viva_${id.kind}_${id.name}_${n}`;
  return {
    counter(n, description) {
      const c = t.counter(name(n), description);
      return (value = 1, attrs) => c.add(value, attrs === undefined ? base : { ...base, ...attrs });
    },
    gauge(n, description) {
      const g = t.gauge(name(n), description);
      return (value, attrs) => g.set(value, attrs === undefined ? base : { ...base, ...attrs });
    },
    histogram(n, description) {
      const h = t.histogram(name(n), description);
      return (value, attrs) => h.record(value, attrs === undefined ? base : { ...base, ...attrs });
    },
  };
}
