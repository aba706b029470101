/**
 * The prometheus_remote_write input: a Prometheus remote write 1.0 receiver. `POST <path>`
 * (default `/api/v1/write`) with a Snappy-compressed protobuf `prometheus.WriteRequest`; each
 * request becomes one batch. Answers as Prometheus' own receiver does, in plain text: 204, 400
 * (malformed, not retried by the sender), 401, 413, 415, 429 and 503 (retried).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { backpressureWaitMs, CapacityGate } from '../../../core/lib/http/backpressure.ts';
import type { BodyLimits } from '../../../core/lib/http/body.ts';
import { HttpServer } from '../../../core/lib/http/server.ts';
import type { Credentials } from '../../../core/lib/listen/auth.ts';
import { ErrorCode } from '../../../core/model/errors/index.ts';
import type { Accumulator, InputInstance, PluginContext } from '../../../core/plugin/types.ts';
import type { PrometheusRemoteWriteConfig } from './config.ts';
import { receive, sendText, type ReceiveContext } from './receive.ts';

export class PrometheusRemoteWriteListener implements InputInstance {
  private readonly cfg: PrometheusRemoteWriteConfig;
  private readonly ctx: PluginContext;
  private readonly creds: Credentials;
  private readonly limits: BodyLimits;
  private server: HttpServer | undefined;
  private gate: CapacityGate | undefined;
  /** The bound port (after start). */
  port = 0;

  constructor(cfg: PrometheusRemoteWriteConfig, ctx: PluginContext) {
    this.cfg = cfg;
    this.ctx = ctx;
    this.creds = { token: cfg.token, username: cfg.basic_username, password: cfg.basic_password };
    this.limits = { maxBodySize: cfg.max_body_size, inflight: { bytes: 0, max: cfg.max_inflight_body_size } };
  }

  async start(acc: Accumulator): Promise<void> {
    const c = this.cfg;
    const gate = new CapacityGate(
      acc,
      backpressureWaitMs(c.backpressure_wait, c.read_timeout),
      this.ctx.metrics,
    );
    this.gate = gate;
    const server = new HttpServer({
      name: this.ctx.id.label,
      listen: c.service_address,
      log: this.ctx.log,
      handler: (req, res) => this.handle(req, res, acc),
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
        sendText(res, 401, 'unauthorized', { ...headers, connection: 'close' }),
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
      { address: c.service_address, port: this.port, path: c.path, tls: c.tls_cert !== undefined },
      'prometheus_remote_write listening',
    );
  }

  private handle(req: IncomingMessage, res: ServerResponse, acc: Accumulator): void {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const method = req.method ?? 'GET';
    if (path !== this.cfg.path) {
      req.resume();
      return sendText(res, 404, `no route ${method} ${path}; remote write goes to POST ${this.cfg.path}`);
    }
    if (method !== 'POST') {
      req.resume();
      return sendText(res, 405, 'method not allowed: use POST', { allow: 'POST' });
    }
    // The server answers 401 (plain text), counts and logs the refusal.
    if (this.server === undefined || this.gate === undefined)
      return sendText(res, 503, 'not started; retry later');
    if (!this.server.authorize(req, res)) return;
    const w: ReceiveContext = {
      acc,
      gate: this.gate,
      limits: this.limits,
      metricVersion: this.cfg.metric_version,
      retryAfterSeconds: Math.max(1, Math.ceil(this.cfg.retry_after / 1000)),
      ack: this.cfg.ack,
    };
    receive(req, res, w).catch((e: unknown) => {
      // A client hanging up mid-body is routine under load: counted like any other refusal.
      const aborted = req.destroyed || (e as NodeJS.ErrnoException).code === 'ECONNRESET';
      acc.reject(aborted ? 'request aborted' : 'write request failed', {
        remote: req.socket.remoteAddress,
        err: e instanceof Error ? e.message : String(e),
      });
      if (!res.headersSent && !aborted) sendText(res, 500, 'internal error: write failed');
      else res.destroy();
    });
  }

  async stop(): Promise<void> {
    // In-flight requests get a moment to finish; then every socket goes. A second stop
    // finds the server stopped and returns at once.
    await this.server?.stop(2000);
  }
}
