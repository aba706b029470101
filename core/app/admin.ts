/**
 * The admin HTTP server of an agent or collector: /metrics (Prometheus), /health, /ready, and
 * routes a caller adds (reload, fleet, dashboard). Optional bearer token and TLS.
 */
import fs from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import { timingSafeEqual } from 'node:crypto';
import type { Counter } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { LogThrottle } from '../engine/telemetry/log-throttle.ts';
import type { Telemetry } from '../engine/telemetry/telemetry.ts';
import { ErrorCode } from '../model/errors/codes.ts';

export type Route = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface AdminOptions {
  listen: string;
  telemetry: Telemetry;
  log: Logger;
  token?: string;
  tlsCert?: string;
  tlsKey?: string;
  /**
   * Health details; 200 when `ok`, 503 otherwise. `/health` and `/ready` stay open without a
   * token, so `detail` (reason texts: error messages) is true only for a request carrying the
   * configured admin token; without it the answer holds states and error codes only.
   */
  health: (detail: boolean) => { ok: boolean; [k: string]: unknown };
  /** Readiness; 200 when `ready`, 503 otherwise. */
  ready: () => { ready: boolean; [k: string]: unknown };
}

/** Splits "host:port" (IPv6 as "[::1]:port"). */
export function splitHostPort(listen: string): { host: string; port: number } {
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(listen);
  if (m === null) throw new Error(`invalid listen address "${listen}" (want host:port)`);
  return { host: m[1] === '' ? '0.0.0.0' : m[1], port: Number(m[2]) };
}

/** Constant-time check of `Authorization: Bearer <token>`. */
export function bearerOk(req: IncomingMessage, token: string | undefined): boolean {
  if (token === undefined || token === '') return true;
  const h = req.headers.authorization ?? '';
  const given = Buffer.from(h.startsWith('Bearer ') ? h.slice(7) : '');
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}

export class AdminServer {
  private server: http.Server | undefined;
  private readonly routes = new Map<string, { route: Route; auth: boolean; needsToken: boolean }>();
  private readonly opts: AdminOptions;
  /** viva_http_auth_failures_total{server="admin"}: requests refused 401 for a missing or wrong token. */
  private readonly authFailures: Counter;
  private readonly authLog: LogThrottle;

  constructor(opts: AdminOptions) {
    this.opts = opts;
    this.authFailures = opts.telemetry.counter(
      'viva_http_auth_failures',
      'HTTP requests refused for missing or wrong credentials, by server',
    );
    this.authLog = new LogThrottle(opts.log);
  }

  /** 401: counted and logged throttled with VIVA_ERR_AUTH; the presented token is never logged. */
  private unauthorized(
    req: IncomingMessage,
    path: string,
    send: (code: number, body: unknown) => void,
  ): void {
    this.authFailures.add(1, { server: 'admin' });
    this.authLog.warn(
      'unauthorized',
      { code: ErrorCode.AUTH, server: 'admin', remote: req.socket.remoteAddress, path },
      'unauthorized request',
    );
    send(401, { error: 'unauthorized' });
  }

  /**
   * Adds a route by "METHOD /path"; `auth` requires the bearer token. A `needsToken` route is
   * refused (403) while no token is configured, so admin actions are never open by default.
   */
  route(key: string, route: Route, auth = true, needsToken = false): void {
    this.routes.set(key, { route, auth, needsToken });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const send = (code: number, body: unknown): void => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'GET' && url.pathname === '/metrics') {
      if (!bearerOk(req, this.opts.token)) return this.unauthorized(req, url.pathname, send);
      req.url = '/metrics';
      return this.opts.telemetry.handle(req, res);
    }
    if (req.method === 'GET' && url.pathname === '/health') {
      const detail = this.opts.token !== undefined && bearerOk(req, this.opts.token);
      const h = this.opts.health(detail);
      return send(h.ok ? 200 : 503, h);
    }
    if (req.method === 'GET' && url.pathname === '/ready') {
      const r = this.opts.ready();
      return send(r.ready ? 200 : 503, r);
    }
    const r = this.routes.get(`${req.method} ${url.pathname}`) ?? this.routes.get(`* ${url.pathname}`);
    if (r === undefined) return send(404, { error: 'not found' });
    if (r.needsToken) return send(403, { error: 'set [agent] http_auth_token to enable this endpoint' });
    if (r.auth && !bearerOk(req, this.opts.token)) return this.unauthorized(req, url.pathname, send);
    Promise.resolve(r.route(req, res)).catch((e: unknown) => {
      this.opts.log.error(
        { err: e instanceof Error ? e.message : String(e), path: url.pathname },
        'admin route failed',
      );
      if (!res.headersSent) send(500, { error: 'internal error' });
      else res.end();
    });
  }

  /** Listens; resolves with the bound port. */
  async start(): Promise<number> {
    const { host, port } = splitHostPort(this.opts.listen);
    const handler = (req: IncomingMessage, res: ServerResponse): void => this.handle(req, res);
    this.server =
      this.opts.tlsCert !== undefined && this.opts.tlsKey !== undefined
        ? https.createServer(
            { cert: fs.readFileSync(this.opts.tlsCert), key: fs.readFileSync(this.opts.tlsKey) },
            handler,
          )
        : http.createServer(handler);
    const server = this.server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address();
    const bound = typeof addr === 'object' && addr !== null ? addr.port : port;
    this.opts.log.info(
      { address: `${host}:${bound}`, tls: this.opts.tlsCert !== undefined },
      'admin server listening',
    );
    return bound;
  }

  async stop(): Promise<void> {
    const s = this.server;
    if (s === undefined) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
