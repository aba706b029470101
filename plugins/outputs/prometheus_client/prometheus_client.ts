/**
 * The prometheus_client output: keeps the latest value of every series it is written and serves
 * them on an HTTP endpoint in the Prometheus text format for Prometheus to scrape. Series not
 * written for expiration_interval disappear. Writes never fail: the endpoint is a view of the
 * latest values, and a metric is delivered once it is in that view.
 */
import type http from 'node:http';
import { compileGlobs } from '../../../core/engine/filter/glob.ts';
import { EXPOSITION_CONTENT_TYPE, renderExposition } from '../../../core/format/prometheus/exposition.ts';
import { HttpServer } from '../../../core/lib/http/server.ts';
import { ErrorCode } from '../../../core/model/errors/codes.ts';
import type { Metric } from '../../../core/model/metric/metric.ts';
import type { OutputInstance, PluginContext } from '../../../core/plugin/types.ts';
import type { PrometheusClientConfig } from './config.ts';
import { SeriesRegistry } from './series.ts';

export class PrometheusClientOutput implements OutputInstance {
  private readonly cfg: PrometheusClientConfig;
  private readonly ctx: PluginContext;
  private readonly registry: SeriesRegistry;
  private server: HttpServer | undefined;
  private lastExpiry = 0;
  /** viva_output_prometheus_client_auth_failures_total: scrapes refused 401. */
  private readonly countAuthFailure: (value?: number) => void;

  constructor(cfg: PrometheusClientConfig, ctx: PluginContext) {
    this.cfg = cfg;
    this.ctx = ctx;
    this.registry = new SeriesRegistry(compileGlobs(cfg.counters));
    this.countAuthFailure = ctx.metrics.counter(
      'auth_failures',
      'Scrapes refused for missing or wrong basic auth credentials',
    );
  }

  /** The port the endpoint listens on (useful with port 0). */
  get port(): number | undefined {
    return this.server?.address()?.port;
  }

  async connect(): Promise<void> {
    const c = this.cfg;
    const server = new HttpServer({
      name: this.ctx.id.label,
      listen: c.listen,
      log: this.ctx.log,
      handler: (req, res) => this.handle(req, res),
      tls:
        c.tls_cert !== undefined && c.tls_key !== undefined
          ? { cert: c.tls_cert, key: c.tls_key }
          : undefined,
      credentials: { username: c.basic_username, password: c.basic_password },
      // Counted here, logged throttled with VIVA_ERR_AUTH by the server, never the credentials.
      onAuthFailure: () => this.countAuthFailure(),
      sendUnauthorized: (res, headers) => void res.writeHead(401, headers).end('unauthorized\n'),
      errorCode: ErrorCode.PLUGIN_START,
    });
    await server.start();
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
    if (this.server === undefined || !this.server.authorize(req, res)) {
      if (!res.headersSent) res.writeHead(503).end();
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
    await server?.stop(0);
  }
}
