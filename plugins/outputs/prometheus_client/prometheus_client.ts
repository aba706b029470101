/**
 * The prometheus_client output: keeps the latest value of every series it is written and serves
 * them on an HTTP endpoint in the Prometheus text format for Prometheus to scrape. Series not
 * written for expiration_interval disappear. Writes never fail: the endpoint is a view of the
 * latest values, and a metric is delivered once it is in that view.
 */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { LogThrottle } from '../../../core/engine/telemetry/log-throttle.ts';
import { compileGlobs } from '../../../core/engine/filter/glob.ts';
import { EXPOSITION_CONTENT_TYPE, renderExposition } from '../../../core/format/prometheus/exposition.ts';
import { authorized } from '../../../core/lib/listen/auth.ts';
import { ErrorCode } from '../../../core/model/errors/codes.ts';
import type { Metric } from '../../../core/model/metric/metric.ts';
import type { OutputInstance, PluginContext } from '../../../core/plugin/types.ts';
import { splitHostPort } from '../../../core/app/admin.ts';
import type { PrometheusClientConfig } from './config.ts';
import { SeriesRegistry } from './series.ts';

export class PrometheusClientOutput implements OutputInstance {
  private readonly cfg: PrometheusClientConfig;
  private readonly ctx: PluginContext;
  private readonly registry: SeriesRegistry;
  private server: http.Server | undefined;
  private lastExpiry = 0;
  /** viva_output_prometheus_client_auth_failures_total: scrapes refused 401. */
  private readonly countAuthFailure: (value?: number) => void;
  private readonly authLog: LogThrottle;

  constructor(cfg: PrometheusClientConfig, ctx: PluginContext) {
    this.cfg = cfg;
    this.ctx = ctx;
    this.registry = new SeriesRegistry(compileGlobs(cfg.counters));
    this.countAuthFailure = ctx.metrics.counter(
      'auth_failures',
      'Scrapes refused for missing or wrong basic auth credentials',
    );
    this.authLog = new LogThrottle(ctx.log);
  }

  /** The port the endpoint listens on (useful with port 0). */
  get port(): number | undefined {
    const a = this.server?.address();
    return typeof a === 'object' && a !== null ? (a as AddressInfo).port : undefined;
  }

  async connect(): Promise<void> {
    const { host, port } = splitHostPort(this.cfg.listen);
    const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => this.handle(req, res);
    const server =
      this.cfg.tls_cert !== undefined && this.cfg.tls_key !== undefined
        ? https.createServer(
            { cert: fs.readFileSync(this.cfg.tls_cert), key: fs.readFileSync(this.cfg.tls_key) },
            handler,
          )
        : http.createServer(handler);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.ctx.log.info({ listen: this.cfg.listen, path: this.cfg.path }, 'prometheus endpoint listening');
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== this.cfg.path) {
      res.writeHead(404).end('not found\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (
      !authorized({ username: this.cfg.basic_username, password: this.cfg.basic_password }, req.headers, null)
    ) {
      // Counted and logged throttled with VIVA_ERR_AUTH; the presented credentials are never logged.
      this.countAuthFailure();
      this.authLog.warn(
        'unauthorized',
        { code: ErrorCode.AUTH, remote: req.socket.remoteAddress, path: url.pathname },
        'unauthorized request',
      );
      res.writeHead(401, { 'www-authenticate': 'Basic realm="viva"' }).end('unauthorized\n');
      return;
    }
    this.expire();
    const body = renderExposition(this.registry.families(), this.cfg.export_timestamp);
    res.writeHead(200, {
      'content-type': EXPOSITION_CONTENT_TYPE,
      'content-length': Buffer.byteLength(body),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  private expire(): void {
    const ttl = this.cfg.expiration_interval;
    if (ttl <= 0) return;
    const now = this.ctx.clock.monotonic();
    this.lastExpiry = now;
    this.registry.expire(now - ttl);
  }

  write(metrics: Metric[]): Promise<void> {
    const now = this.ctx.clock.monotonic();
    this.registry.update(metrics, now);
    // Expire now and then even when nobody scrapes, so memory stays bounded by live series.
    if (this.cfg.expiration_interval > 0 && now - this.lastExpiry > this.cfg.expiration_interval)
      this.expire();
    return Promise.resolve();
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
