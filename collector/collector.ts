/**
 * The collector runtime: the spool, ingest (agent batches, and any [[inputs.*]] such as the
 * InfluxDB write API or Prometheus remote write, whose metrics are spooled the same way), the
 * router and one Destination per [[destinations]] table. Live reload rebuilds the routes and
 * destinations around the same spool: each destination resumes at its position.
 */
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import type { Logger } from 'pino';
import type { DependencyContainer } from 'tsyringe';
import { HttpServer } from '../core/lib/http/server.ts';
import type { ReloadSummary } from '../core/app/reconfigure.ts';
import type { ValidConfig } from '../core/config/validate.ts';
import { encodeBatch } from '../core/format/binary/index.ts';
import type { InputSink } from '../core/engine/running/input.ts';
import type { Telemetry } from '../core/engine/telemetry/telemetry.ts';
import { ErrorCode } from '../core/model/errors/codes.ts';
import type { Metric } from '../core/model/metric/metric.ts';
import type { AckCallback } from '../core/plugin/types.ts';
import { crossCheck, type CollectorConfig } from './config.ts';
import { DeliveryTap } from './dashboard/tap.ts';
import type { DestinationHealth } from './destination/destination.ts';
import { buildCollectorGraph, type CollectorGraph } from './graph.ts';
import { Ingest } from './ingest/ingest.ts';
import { encodeRecord } from './ingest/record.ts';
import { fleetOf, type FleetSharing } from './fleet/collector-fleet.ts';
import type { FleetEndpoints } from './fleet/endpoints.ts';
import type { FleetRegistry } from './fleet/registry.ts';
import { Spool } from './spool/index.ts';
import { SpoolRetention } from './spool/retention.ts';
import type { SpoolAppender } from './ingest/ingest.ts';

export interface CollectorServices {
  container: DependencyContainer;
  log: Logger;
  telemetry: Telemetry;
}

export interface CollectorHealth {
  ok: boolean;
  status: 'ok' | 'degraded' | 'stopped';
  spool: { bytes: number; full: boolean };
  destinations: DestinationHealth[];
}

/** Directory of the spool and the dead letters, from the config. */
export function spoolDir(cfg: CollectorConfig): string {
  return cfg.collector.spool_dir !== ''
    ? cfg.collector.spool_dir
    : path.join(cfg.base.agent.data_dir, 'spool');
}
export function deadLetterDir(cfg: CollectorConfig): string {
  return cfg.collector.dead_letter_dir !== ''
    ? cfg.collector.dead_letter_dir
    : path.join(cfg.base.agent.data_dir, 'dead-letter');
}

/** The graph built from one config: what a reload replaces. */
type Graph = CollectorGraph;

export class Collector {
  config: CollectorConfig;
  private readonly services: CollectorServices;
  private spool: Spool | null = null;
  private retention: SpoolRetention | null = null;
  private server: HttpServer | null = null;
  private ingest: Ingest | null = null;
  private graph: Graph | null = null;
  private gaugeTimer: NodeJS.Timeout | undefined;
  private started = false;
  /** The fleet registry (heartbeats, source health), read by /api/fleet and the dashboard. */
  readonly fleet: FleetRegistry;
  private readonly fleetRoutes: FleetEndpoints;
  private readonly fleetSharing: FleetSharing;
  /** What the destinations delivered, as the dashboard shows it (latency, alerts, anomalies). */
  readonly tap = new DeliveryTap();

  constructor(config: CollectorConfig, services: CollectorServices) {
    this.config = config;
    this.services = services;
    const f = fleetOf(this, services);
    this.fleet = f.registry;
    this.fleetRoutes = f.endpoints;
    this.fleetSharing = f.sharing;
  }

  get running(): boolean {
    return this.started;
  }

  /** The name of the agent token a request presents ('' with none configured), null when refused. */
  authorizeAgent(req: IncomingMessage): string | null {
    return this.ingest?.authorize(req) ?? null;
  }

  /** The ingest listener's port (after start), for tests and logs. */
  get port(): number {
    return this.server?.port ?? 0;
  }

  async start(): Promise<void> {
    const { log } = this.services;
    const c = this.config.collector;
    try {
      this.spool = Spool.open({
        dir: spoolDir(this.config),
        maxBytes: c.spool_max_bytes,
        fsync: c.spool_fsync,
        fsyncIntervalMs: c.spool_fsync_interval,
        log: log.child({ component: 'spool' }),
        onCorrupt: (records, detail) => {
          this.services.telemetry
            .counter('viva_collector_spool_corrupt_records', 'Spool records that could not be read (skipped)')
            .add(records);
          log.warn({ code: ErrorCode.BUFFER_CORRUPT, records, detail }, 'spool: corrupt records skipped');
        },
      });
      this.retention = this.makeRetention(this.config, this.spool);
      this.graph = await this.buildGraph(this.config);
      await this.startGraph(this.graph);
      this.retention.start();
      this.ingest = this.makeIngest(this.config);
      this.fleet.open();
      await this.fleetSharing.update(this.config.collector.fleet.kafka);
      await this.listen(this.config);
      this.gaugeTimer = setInterval(() => this.publishGauges(), 1000);
      this.gaugeTimer.unref();
      this.publishGauges();
      this.started = true;
      if (Object.keys(c.tokens).length === 0)
        log.warn('collector: no [collector.tokens]: any sender is accepted (set tokens to require auth)');
      log.info(
        {
          listen: c.listen,
          port: this.port,
          spool: spoolDir(this.config),
          fsync: c.spool_fsync,
          routes: this.config.routes.length,
          destinations: this.graph.destinations.map((d) => d.name),
        },
        'collector started',
      );
    } catch (e) {
      await this.stop().catch(() => undefined);
      throw e;
    }
  }

  private makeRetention(cfg: CollectorConfig, spool: Spool): SpoolRetention {
    const c = cfg.collector;
    return new SpoolRetention({
      spool,
      // The size bound the spool was opened with (spool_max_bytes takes effect at restart).
      maxBytes: spool.maxBytes,
      maxAgeMs: c.spool_max_age,
      policy: c.spool_full_policy,
      telemetry: this.services.telemetry,
      log: this.services.log.child({ component: 'spool' }),
    });
  }

  private makeIngest(cfg: CollectorConfig): Ingest {
    const spool = this.retention;
    if (spool === null) throw new Error('spool not open');
    return new Ingest({
      spool,
      tokens: cfg.collector.tokens,
      maxBodyBytes: cfg.collector.max_body_size,
      retryAfterMs: cfg.collector.retry_after,
      dedupWindow: cfg.collector.dedup_window,
      telemetry: this.services.telemetry,
      log: this.services.log.child({ component: 'ingest' }),
    });
  }

  private async listen(cfg: CollectorConfig): Promise<void> {
    const c = cfg.collector;
    // Tokens are checked by ingest (several named tokens); the server owns listen, TLS, limits, stop.
    const server = new HttpServer({
      name: 'ingest',
      listen: c.listen,
      log: this.services.log,
      handler: (req, res) => {
        const url = req.url ?? '/';
        const p = url.indexOf('?') === -1 ? url : url.slice(0, url.indexOf('?'));
        if (this.ingest !== null && this.fleetRoutes.serves(p)) return this.fleetRoutes.handle(req, res, p);
        const ingest = this.ingest;
        if (ingest === null) {
          res.writeHead(503, { 'retry-after': '1' }).end();
          return;
        }
        ingest.handle(req, res);
      },
      tls:
        c.tls_cert !== undefined && c.tls_key !== undefined
          ? { cert: c.tls_cert, key: c.tls_key }
          : undefined,
      limits: {
        maxConnections: c.max_connections,
        headersTimeoutMs: 30_000,
        requestTimeoutMs: 120_000,
        keepAliveTimeoutMs: 65_000,
      },
    });
    await server.start();
    this.server = server;
  }

  private async closeServer(): Promise<void> {
    const s = this.server;
    this.server = null;
    await s?.stop(2000);
  }

  /** Builds routes, destinations and inputs from a config (nothing started yet): collector/graph.ts. */
  private async buildGraph(cfg: CollectorConfig): Promise<Graph> {
    const spool = this.spool;
    if (spool === null) throw new Error('spool not open');
    const sink = new SpoolSink(this.retention ?? spool, this.services.log);
    return buildCollectorGraph(cfg, {
      ...this.services,
      reader: (d) => spool.reader(d.name, d.start_at),
      sink: (label) => sink.as(label),
      deadLetterDir: deadLetterDir(cfg),
      delivered: (metrics) => this.tap.observe(metrics),
    });
  }

  private async startGraph(g: Graph): Promise<void> {
    await g.graph.start();
  }

  private async stopGraph(g: Graph, _graceMs: number): Promise<void> {
    // Each node stops within the shutdown_timeout of the config it was built from.
    await g.graph.stop();
  }

  /** Applies a new config (live reload): the spool stays; routes and destinations are rebuilt. */
  async apply(next: ValidConfig): Promise<ReloadSummary> {
    const cfg = crossCheck(next);
    const old = this.graph;
    if (old === null) throw new Error('collector not started');
    const oldNames = old.destinations.map((d) => d.name);
    // Readers of the same name cannot be open twice: stop the old graph first, then build anew;
    // a failure rebuilds the old one (its config was valid and built before).
    await this.stopGraph(old, this.config.base.agent.shutdown_timeout);
    try {
      this.graph = await this.buildGraph(cfg);
    } catch (e) {
      this.graph = await this.buildGraph(this.config);
      await this.startGraph(this.graph);
      throw e;
    }
    await this.startGraph(this.graph);
    const listenChanged =
      cfg.collector.listen !== this.config.collector.listen ||
      cfg.collector.tls_cert !== this.config.collector.tls_cert ||
      cfg.collector.tls_key !== this.config.collector.tls_key;
    if (this.spool !== null) {
      this.retention?.stop();
      this.retention = this.makeRetention(cfg, this.spool);
      this.retention.start();
    }
    this.ingest = this.makeIngest(cfg);
    if (listenChanged) {
      await this.closeServer();
      await this.listen(cfg);
    }
    this.config = cfg;
    this.fleet.configure(cfg.collector.fleet);
    await this.fleetSharing.update(cfg.collector.fleet.kafka);
    const names = this.graph.destinations.map((d) => d.name);
    return {
      kept: [],
      started: names.filter((n) => !oldNames.includes(n)),
      replaced: names.filter((n) => oldNames.includes(n)),
      stopped: oldNames.filter((n) => !names.includes(n)),
    };
  }

  health(): CollectorHealth {
    const destinations = this.graph?.destinations.map((d) => d.health()) ?? [];
    const spool = { bytes: this.spool?.bytes ?? 0, full: this.spool?.isFull() ?? false };
    const status = !this.started
      ? 'stopped'
      : destinations.some((d) => d.state === 'down') || spool.full
        ? 'degraded'
        : 'ok';
    return { ok: this.started, status, spool, destinations };
  }

  private publishGauges(): void {
    const t = this.services.telemetry;
    const spool = this.spool;
    if (spool === null) return;
    t.gauge('viva_collector_spool_bytes', 'Bytes of the spool on disk').set(spool.bytes, {});
    t.gauge('viva_collector_spool_full', '1 while the spool is full (ingest answers 429)').set(
      spool.isFull() ? 1 : 0,
      {},
    );
    const lagBytes = t.gauge(
      'viva_collector_destination_lag_bytes',
      'Spool bytes a destination has not delivered yet',
    );
    const lagRecords = t.gauge(
      'viva_collector_destination_lag_records',
      'Spool records (batches) a destination has not delivered yet',
    );
    const age = t.gauge(
      'viva_collector_destination_age_seconds',
      'Age of the oldest batch a destination has not delivered yet',
    );
    const up = t.gauge(
      'viva_collector_destination_up',
      '1 when some output of the destination takes data, 0 when every one is down',
    );
    for (const d of this.graph?.destinations ?? []) {
      const h = d.health();
      const attrs = { destination: h.destination };
      lagBytes.set(h.lag_bytes, attrs);
      lagRecords.set(h.lag_records, attrs);
      age.set(h.age_seconds, attrs);
      up.set(h.state === 'down' ? 0 : 1, attrs);
    }
  }

  async stop(): Promise<void> {
    const grace = this.config.base.agent.shutdown_timeout;
    clearInterval(this.gaugeTimer);
    this.ingest = null;
    await this.closeServer();
    await this.fleetSharing.stop();
    this.fleet.close();
    if (this.graph !== null) await this.stopGraph(this.graph, grace);
    this.graph = null;
    this.retention?.stop();
    this.retention = null;
    await this.spool?.close();
    this.spool = null;
    if (this.started) this.services.log.info('collector stopped');
    this.started = false;
  }
}

/**
 * Where the collector's own inputs (http_listener, prometheus_remote_write, ...) push: each batch
 * becomes a spool record (the input's label as the agent id), acknowledged once it is durable, so
 * an input that acknowledges its sender (HTTP 204 after delivery) does so after the spool has it.
 */
class SpoolSink {
  private readonly spool: SpoolAppender;
  private readonly log: Logger;
  private waiting: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(spool: SpoolAppender, log: Logger) {
    this.spool = spool;
    this.log = log;
  }

  as(agent: string): InputSink {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    return {
      push(metrics: Metric[], ack: AckCallback | undefined): boolean {
        if (metrics.length > 0)
          self.spool.append(encodeRecord(agent, encodeBatch(metrics))).then(
            () => ack?.(true),
            (e: unknown) => {
              self.log.warn({ input: agent, err: (e as Error).message }, 'spool append failed');
              ack?.(false);
            },
          );
        else ack?.(true);
        return !self.spool.isFull();
      },
      get saturated() {
        return self.spool.isFull();
      },
      // The ack follows the append (and its fsync): listeners answer once the spool holds the data.
      durableAcks: true,
      waitForCapacity: () => this.waitForCapacity(),
    };
  }

  private waitForCapacity(): Promise<void> {
    if (!this.spool.isFull()) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.timer ??= setInterval(() => {
        if (this.spool.isFull()) return;
        clearInterval(this.timer);
        this.timer = undefined;
        const w = this.waiting;
        this.waiting = [];
        for (const r of w) r();
      }, 100);
    });
  }
}
