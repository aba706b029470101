/**
 * The http_listener input: an InfluxDB-compatible write endpoint. `POST /write` (v1: db, rp,
 * precision, u/p) and `POST /api/v2/write` (org, bucket, precision), line protocol or JSON
 * bodies, gzip; `GET /ping` (204 with X-Influxdb-Version), `GET /health`, `GET /ready`, and a
 * no-op `/query` so clients that create their database first get an answer.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createParser } from '../../../core/format/registry.ts';
import { withSeriesCacheMetrics } from '../../../core/format/series-cache-metrics.ts';
import type { Parser } from '../../../core/format/types.ts';
import { backpressureWaitMs, CapacityGate } from '../../../core/lib/http/backpressure.ts';
import { BodyPool } from '../../../core/lib/http/body-pool.ts';
import { HttpServer } from '../../../core/lib/http/server.ts';
import { ParsePool } from '../../../core/lib/parse-pool/pool.ts';
import type { Credentials } from '../../../core/lib/listen/auth.ts';
import { ErrorCode } from '../../../core/model/errors/codes.ts';
import type { Accumulator, InputInstance, PluginContext } from '../../../core/plugin/types.ts';
import type { HttpListenerConfig } from './config.ts';
import { handleWrite, sendError, type WriteContext } from './write.ts';

/** Reported as X-Influxdb-Version: clients gate the v2 write path on 1.8+. */
const INFLUX_VERSION = '1.8.10';
/** Body buffers kept for reuse (about the concurrent writes of a busy listener), and their largest. */
const POOLED_BODIES = 4;
const POOLED_BODY_MAX = 1024 * 1024;

export class HttpListener implements InputInstance {
  private readonly cfg: HttpListenerConfig;
  private readonly ctx: PluginContext;
  private readonly creds: Credentials;
  /** One line protocol parser for both write APIs: the series it remembers serve both. */
  private readonly lineProtocol: Parser;
  private server: HttpServer | undefined;
  private v1: WriteContext | undefined;
  private v2: WriteContext | undefined;
  /** Body bytes held by the requests in flight, shared by both write APIs. */
  private readonly inflight: { bytes: number; max: number };
  /** Buffers of bodies, reused request after request by both write APIs. */
  private readonly pool = new BodyPool(POOLED_BODIES, POOLED_BODY_MAX);
  /** The bound port (after start). */
  port = 0;
  /** Worker threads parsing line protocol (parse_workers > 0), from start to stop. */
  parsePool: ParsePool | undefined;

  constructor(cfg: HttpListenerConfig, ctx: PluginContext) {
    this.cfg = cfg;
    this.ctx = ctx;
    this.inflight = { bytes: 0, max: cfg.max_inflight_body_size };
    this.creds = { token: cfg.token, username: cfg.basic_username, password: cfg.basic_password };
    this.lineProtocol = withSeriesCacheMetrics(
      createParser('influx', { seriesCache: cfg.influx_series_cache }),
      ctx,
    );
  }

  private writeContext(acc: Accumulator, gate: CapacityGate, paramTags: [string, string][]): WriteContext {
    const clock = this.ctx.clock;
    return {
      acc,
      gate,
      lineProtocol: this.lineProtocol,
      parsePool: this.parsePool,
      json: createParser('json'),
      maxBodySize: this.cfg.max_body_size,
      inflight: this.inflight,
      pool: this.pool,
      retryAfterSeconds: Math.max(1, Math.ceil(this.cfg.retry_after / 1000)),
      ack: this.cfg.ack,
      paramTags: paramTags.filter(([, tag]) => tag !== ''),
      now: () => clock.now(),
    };
  }

  async start(acc: Accumulator): Promise<void> {
    const c = this.cfg;
    const gate = new CapacityGate(
      acc,
      backpressureWaitMs(c.backpressure_wait, c.read_timeout),
      this.ctx.metrics,
    );
    if (c.parse_workers > 0)
      this.parsePool = new ParsePool({
        workers: c.parse_workers,
        seriesCache: c.influx_series_cache,
        inline: this.lineProtocol,
        ctx: this.ctx,
      });
    this.v1 = this.writeContext(acc, gate, [
      ['db', c.database_tag],
      ['rp', c.retention_policy_tag],
    ]);
    this.v2 = this.writeContext(acc, gate, [['bucket', c.bucket_tag]]);
    const server = new HttpServer({
      name: this.ctx.id.label,
      listen: c.service_address,
      log: this.ctx.log,
      handler: (req, res) => this.handle(req, res),
      tls:
        c.tls_cert !== undefined && c.tls_key !== undefined
          ? { cert: c.tls_cert, key: c.tls_key, clientCa: c.tls_client_ca }
          : undefined,
      credentials: this.creds,
      // Counted and logged (throttled) as viva_input_rejected_total{reason="unauthorized request"}.
      onAuthFailure: (f) =>
        acc.reject('unauthorized request', { code: ErrorCode.AUTH, remote: f.remote, path: f.path }),
      logAuthFailures: false,
      sendUnauthorized: (res, headers) =>
        sendError(res, 401, 'unauthorized', 'authorization failed', { ...headers, connection: 'close' }),
      limits: {
        maxConnections: c.max_connections,
        requestTimeoutMs: c.read_timeout,
        headersTimeoutMs: Math.min(c.read_timeout, 60_000),
        keepAliveTimeoutMs: c.keep_alive_timeout,
        idleTimeoutMs: c.write_timeout,
      },
      onDrop: (remote) => acc.reject('too many connections', { remote, max_connections: c.max_connections }),
      errorCode: ErrorCode.PLUGIN_START,
    });
    await server.start();
    this.server = server;
    this.port = server.port;
    this.ctx.log.info(
      { address: c.service_address, port: this.port, tls: c.tls_cert !== undefined },
      'http_listener listening',
    );
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const query = new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
    const method = req.method ?? 'GET';
    if (path === '/write' || path === '/api/v2/write') {
      if (method !== 'POST') return sendError(res, 405, 'method not allowed', 'use POST', { allow: 'POST' });
      if (!this.authorize(req, res, path === '/write' ? query : null)) return;
      const w = path === '/write' ? this.v1 : this.v2;
      if (w === undefined) return sendError(res, 503, 'unavailable', 'not started');
      handleWrite(req, res, query, w).catch((e: unknown) => {
        // A client hanging up mid-body is routine under load: counted and logged throttled
        // (viva_input_rejected_total{reason="request aborted"}), like any other refused write.
        // A request whose body was read whole is destroyed too (autoDestroy): only one cut short
        // was aborted; any later failure (e.g. a disk buffer out of space) gets an answer.
        const aborted =
          (req.destroyed && !req.complete) || (e as NodeJS.ErrnoException).code === 'ECONNRESET';
        w.acc.reject(aborted ? 'request aborted' : 'write request failed', {
          remote: req.socket.remoteAddress,
          err: e instanceof Error ? e.message : String(e),
        });
        if (!res.headersSent && !aborted) sendError(res, 500, 'internal error', 'write failed');
        else res.destroy();
      });
      return;
    }
    if (path === '/ping' && (method === 'GET' || method === 'HEAD')) {
      if (query.get('verbose') === 'true') {
        res.writeHead(200, { 'content-type': 'application/json', 'x-influxdb-version': INFLUX_VERSION });
        res.end(JSON.stringify({ version: INFLUX_VERSION }));
        return;
      }
      res.writeHead(204, { 'x-influxdb-version': INFLUX_VERSION, 'x-influxdb-build': 'VIVA' });
      res.end();
      return;
    }
    if (path === '/health' && method === 'GET')
      return this.json(res, 200, {
        name: 'viva',
        status: 'pass',
        message: 'ready for writes',
        checks: [],
        version: INFLUX_VERSION,
      });
    if (path === '/ready' && method === 'GET') return this.json(res, 200, { status: 'ready' });
    if (path === '/query') {
      if (!this.authorize(req, res, query)) return;
      req.resume();
      return this.json(res, 200, { results: [{ statement_id: 0 }] });
    }
    req.resume();
    sendError(res, 404, 'not found', `no route ${method} ${path}`);
  }

  /** The credential check of the server; a 401 is answered, counted and logged there. */
  private authorize(req: IncomingMessage, res: ServerResponse, query: URLSearchParams | null): boolean {
    if (this.server !== undefined) return this.server.authorize(req, res, query);
    sendError(res, 503, 'unavailable', 'not started');
    return false;
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      'x-influxdb-version': INFLUX_VERSION,
    });
    res.end(text);
  }

  async stop(): Promise<void> {
    // In-flight requests get a moment to finish (still answered, auth included); then every
    // socket goes. A second stop finds the server stopped and returns at once.
    await this.server?.stop(2000);
    // The workers go once no request is left to parse; a body one still held is parsed inline.
    const pool = this.parsePool;
    this.parsePool = undefined;
    await pool?.close();
  }
}
