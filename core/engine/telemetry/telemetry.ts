/**
 * VIVA's self-metrics: instruments with the OpenTelemetry API's shapes (instruments.ts), served on
 * the agent's /metrics in the Prometheus text exposition, as OpenTelemetry's exporter wrote it
 * (exposition.ts). One instance per process; plugin stats are pre-bound to
 * attributes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Attributes, Counter, Histogram } from '@opentelemetry/api';
import { Metric } from '../../model/metric/metric.ts';
import type { PluginId, PluginMetrics } from '../../plugin/types.ts';
import { exposition } from './exposition.ts';
import {
  CounterInstrument,
  GaugeInstrument,
  HistogramInstrument,
  type Instrument,
  type Observer,
} from './instruments.ts';

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

type Gauge = { value: number; attrs: Attributes };

/** Process-wide self-telemetry. */
export class Telemetry {
  private readonly serviceName: string;
  /**
   * Every instrument in the order they were created (the exposition's order), and by name per
   * kind: a name used by two kinds is two instruments, as with the SDK (the exposition drops both).
   */
  private readonly instruments: Instrument[] = [];
  private readonly counters = new Map<string, CounterInstrument>();
  private readonly histograms = new Map<string, HistogramInstrument>();
  private readonly observables = new Map<string, GaugeInstrument>();
  private readonly gauges = new Map<string, Map<string, Gauge>>();

  constructor(serviceName = 'viva') {
    this.serviceName = serviceName;
  }

  /** A counter by name (created once); `_total` is appended by the exposition. */
  counter(name: string, description: string): Counter {
    let c = this.counters.get(name);
    if (c === undefined) {
      c = new CounterInstrument(name, description);
      this.counters.set(name, c);
      this.instruments.push(c);
    }
    return c;
  }

  /** A histogram by name with latency buckets in seconds. */
  histogram(name: string, description: string, buckets = LATENCY_BUCKETS): Histogram {
    let h = this.histograms.get(name);
    if (h === undefined) {
      h = new HistogramInstrument(name, description, 's', buckets);
      this.histograms.set(name, h);
      this.instruments.push(h);
    }
    return h;
  }

  /** A gauge whose callback reports its values each time the self-metrics are read. */
  private observableGauge(name: string, description: string, cb: (o: Observer) => void): void {
    let g = this.observables.get(name);
    if (g === undefined) {
      g = new GaugeInstrument(name, description);
      this.observables.set(name, g);
      this.instruments.push(g);
    }
    g.addCallback(cb);
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
      this.observableGauge(name, description, (r) => {
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
  handle(_req: IncomingMessage, res: ServerResponse): void {
    res.statusCode = 200;
    res.setHeader('content-type', 'text/plain');
    let text: string;
    try {
      text = exposition(this.serviceName, this.instruments, false);
    } catch (e) {
      text = `# failed to export metrics: ${String(e)}`;
    }
    res.end(text);
  }

  /** The exposition text with timestamps and the scope label, for tests and the dashboard. */
  text(): Promise<string> {
    return Promise.resolve(exposition(this.serviceName, this.instruments, true));
  }

  /** Every self-metric as a Metric: one per data point, attributes as tags. */
  snapshot(): Promise<Metric[]> {
    const now = Date.now();
    const out: Metric[] = [];
    const tags = (attributes: Attributes): Record<string, string> => {
      const t: Record<string, string> = {};
      for (const [k, v] of Object.entries(attributes)) if (v !== undefined && v !== '') t[k] = String(v);
      return t;
    };
    for (const i of this.instruments) {
      if (i.kind === 'counter')
        for (const p of i.series.points())
          out.push(new Metric(i.name, tags(p.attributes), { value: p.value.sum }, now));
      else if (i.kind === 'histogram')
        for (const p of i.series.points())
          out.push(new Metric(i.name, tags(p.attributes), { count: p.value.count, sum: p.value.sum }, now));
      else
        for (const p of i.collect())
          out.push(new Metric(i.name, tags(p.attributes), { value: p.value }, now));
    }
    return Promise.resolve(out);
  }

  private loopDelay: ReturnType<typeof monitorEventLoopDelay> | undefined;

  /**
   * Event-loop delay of this process since it started, as gauges in seconds:
   * `viva_process_event_loop_delay_p50_seconds`, `_p99_seconds` and `_max_seconds` (a stalled
   * loop delays every socket and timer; a soak records it next to RSS). Separate gauges, as
   * prom-client's `nodejs_eventloop_lag_p99_seconds`: a `quantile` label belongs to summaries,
   * whose `_sum` and `_count` over the process's life say nothing more here.
   */
  monitorEventLoop(): void {
    if (this.loopDelay !== undefined) return;
    // The histogram records the time between its timer's runs: the resolution is subtracted.
    const resolutionMs = 10;
    const h = monitorEventLoopDelay({ resolution: resolutionMs });
    const seconds = (ns: number): number => Math.max(0, ns / 1e9 - resolutionMs / 1000);
    h.enable();
    this.loopDelay = h;
    const gauge = (stat: string, what: string, value: () => number): void =>
      this.observableGauge(
        `viva_process_event_loop_delay_${stat}_seconds`,
        `${what} of the event-loop delay since the process started`,
        (r) => r.observe(seconds(value())),
      );
    gauge('p50', 'Median', () => h.percentile(50));
    gauge('p99', '99th percentile', () => h.percentile(99));
    gauge('max', 'Maximum', () => h.max);
  }

  shutdown(): Promise<void> {
    this.loopDelay?.disable();
    return Promise.resolve();
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
