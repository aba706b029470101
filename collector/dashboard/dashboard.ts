/**
 * The dashboard's push loop: once a second it samples the collector (self-metrics, health, the
 * delivery tap, the fleet registry) into a Frame, adds it to the chart history and sends it to
 * every connected page over server-sent events, each with the page of the fleet its query asks
 * for. A page that does not keep up (its socket buffer over MAX_BUFFERED bytes) skips frames
 * rather than growing the collector's memory.
 */
import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Telemetry } from '../../core/engine/telemetry/telemetry.ts';
import type { CollectorHealth } from '../collector.ts';
import type { FleetPage, FleetQuery, FleetView } from '../fleet/types.ts';
import { errorRates, pipelineViews, rate, totals, type Frame, type Totals } from './frame.ts';
import { History } from './history.ts';
import type { DeliveryTap } from './tap.ts';

const MAX_BUFFERED = 1 << 20;
const MAX_CLIENTS = 100;

/** What the dashboard reads of the collector. */
export interface DashboardSource {
  telemetry: Telemetry;
  health(): CollectorHealth;
  spoolMaxBytes(): number;
  tap: DeliveryTap;
  fleet(): FleetView | undefined;
}

export interface DashboardOptions {
  source: DashboardSource;
  log: Logger;
  /**
   * Runs the push loop this many times faster than real time with a simulated clock that still
   * advances one second per frame (tests push an hour of frames in a minute). Default 1.
   */
  timeScale?: number;
}

interface Client {
  res: ServerResponse;
  query: FleetQuery;
}

export class Dashboard {
  private readonly opts: DashboardOptions;
  private readonly clients = new Set<Client>();
  readonly history = new History();
  private timer: NodeJS.Timeout | undefined;
  private prev: { t: number; totals: Totals } | null = null;
  private last: Frame | null = null;
  private simulated: number | null;
  private sampling = false;

  constructor(opts: DashboardOptions) {
    this.opts = opts;
    this.simulated = (opts.timeScale ?? 1) > 1 ? Date.now() : null;
  }

  /** Frame time: the wall clock, or the simulated one (one second per frame). */
  private now(): number {
    return this.simulated ?? Date.now();
  }

  start(): void {
    const every = 1000 / Math.max(1, this.opts.timeScale ?? 1);
    this.timer = setInterval(() => void this.tick(), every);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    for (const c of this.clients) c.res.end();
    this.clients.clear();
  }

  /** The latest frame (sampled now when there is none yet). */
  async frame(): Promise<Frame> {
    return this.last ?? (await this.sample());
  }

  /** The fleet page for a query, or null before the registry exists. */
  fleetPage(query: FleetQuery): FleetPage | null {
    return this.opts.source.fleet()?.list(query) ?? null;
  }

  /** Turns an HTTP response into an event stream: the history first, then a frame a second. */
  async subscribe(res: ServerResponse, query: FleetQuery): Promise<void> {
    if (this.clients.size >= MAX_CLIENTS) {
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '5' });
      res.end(JSON.stringify({ error: 'too many dashboard connections' }));
      return;
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
    });
    // Idle keep-alive and server timeouts must not cut a stream that only receives.
    res.socket?.setTimeout(0);
    const client = { res, query };
    this.clients.add(client);
    res.on('close', () => this.clients.delete(client));
    res.write(`retry: 2000\nevent: history\ndata: ${JSON.stringify(this.history.columns())}\n\n`);
    this.send(client, await this.frame());
  }

  private send(c: Client, frame: Frame): void {
    if (c.res.writableLength > MAX_BUFFERED) return;
    const data = JSON.stringify({ ...frame, page: this.fleetPage(c.query) });
    c.res.write(`event: frame\ndata: ${data}\n\n`);
  }

  private async tick(): Promise<void> {
    if (this.sampling) return; // a slow snapshot: skip a beat rather than pile up
    this.sampling = true;
    try {
      if (this.simulated !== null) this.simulated += 1000;
      const frame = await this.sample();
      this.history.add(frame.t, {
        in: frame.rates.in,
        out: frame.rates.out,
        errors: frame.rates.errors,
        drops: frame.rates.drops,
        p50: frame.latency.p50,
        p99: frame.latency.p99,
      });
      for (const c of this.clients) this.send(c, frame);
    } catch (e) {
      this.opts.log.warn({ err: (e as Error).message }, 'dashboard: sampling failed');
    } finally {
      this.sampling = false;
    }
  }

  /** Samples the collector into a frame (and remembers the counters for the next rates). */
  private async sample(): Promise<Frame> {
    const src = this.opts.source;
    const t = this.now();
    const cur = totals(await src.telemetry.snapshot());
    const prev = this.prev;
    const dt = prev === null ? 0 : (t - prev.t) / 1000;
    const p = prev?.totals ?? null;
    const health = src.health();
    const errs = errorRates(p, cur, dt);
    const [p50, p99] = src.tap.latency.quantiles([0.5, 0.99], Date.now());
    const maxBytes = src.spoolMaxBytes();
    const frame: Frame = {
      t,
      status: health.status,
      rates: {
        in: rate(p, cur, 'viva_collector_ingest_metrics', dt),
        out: rate(p, cur, 'viva_collector_destination_metrics', dt),
        errors: errs.errors,
        drops: errs.drops,
      },
      breakdown: errs.breakdown,
      latency: { p50, p99 },
      ...pipelineViews(health, p, cur, dt),
      spool: {
        bytes: health.spool.bytes,
        maxBytes,
        fill: maxBytes > 0 ? Math.min(1, health.spool.bytes / maxBytes) : 0,
        full: health.spool.full,
      },
      alerts: src.tap.activeAlerts().slice(0, 50),
      anomalies: src.tap.recentAnomalies().slice(0, 20),
      fleet: src.fleet()?.list({ limit: 1 }).counts ?? null,
    };
    this.prev = { t, totals: cur };
    this.last = frame;
    return frame;
  }
}
