/**
 * The admin HTTP server of an agent or collector: /metrics (Prometheus), /health, /ready, and
 * routes a caller adds (reload, fleet, dashboard). Optional bearer token and TLS.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { HttpServer, splitHostPort as splitHost } from '../lib/http/server.ts';
import type { Telemetry } from '../engine/telemetry/telemetry.ts';

/** Moved to core/lib/http/server.ts; re-exported for the callers that import it from here. */
export { splitHostPort } from '../lib/http/server.ts';

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

export class AdminServer {
  private readonly server: HttpServer;
  private readonly routes = new Map<string, { route: Route; auth: boolean; needsToken: boolean }>();
  private readonly opts: AdminOptions;
  private session: ((req: IncomingMessage) => boolean) | undefined;

  constructor(opts: AdminOptions) {
    this.opts = opts;
    // A 401 is counted in viva_http_auth_failures_total{server="admin"} and logged throttled
    // with VIVA_ERR_AUTH by the server; the presented token is never logged.
    this.server = new HttpServer({
      name: 'admin',
      listen: opts.listen,
      log: opts.log,
      handler: (req, res) => this.handle(req, res),
      tls:
        opts.tlsCert !== undefined && opts.tlsKey !== undefined
          ? { cert: opts.tlsCert, key: opts.tlsKey }
          : undefined,
      credentials: { token: opts.token },
      telemetry: opts.telemetry,
    });
  }

  /**
   * Adds a route by "METHOD /path"; `auth` requires the bearer token. A `needsToken` route is
   * refused (403) while no token is configured, so admin actions are never open by default.
   */
  route(key: string, route: Route, auth = true, needsToken = false): void {
    this.routes.set(key, { route, auth, needsToken });
  }

  /**
   * Accepts a second credential on GET routes that require the token: a browser session (the
   * dashboard's cookie, which an EventSource sends where it cannot send a header). Actions
   * (POST) still need the bearer token.
   */
  acceptSessions(check: (req: IncomingMessage) => boolean): void {
    this.session = check;
  }

  /** True when a token is configured, so routes with `auth` refuse requests without it. */
  get tokenRequired(): boolean {
    return this.server.authRequired;
  }

  /** The credential check alone: the bearer token, or a session on a GET. */
  authenticated(req: IncomingMessage): boolean {
    return this.server.check(req) || (req.method === 'GET' && this.session?.(req) === true);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const send = (code: number, body: unknown): void => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'GET' && url.pathname === '/metrics') {
      if (!this.server.authorize(req, res)) return;
      req.url = '/metrics';
      return this.opts.telemetry.handle(req, res);
    }
    if (req.method === 'GET' && url.pathname === '/health') {
      const detail = this.opts.token !== undefined && this.server.check(req);
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
    const bySession = req.method === 'GET' && this.session?.(req) === true;
    if (r.auth && !bySession && !this.server.authorize(req, res)) return;
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
    await this.server.start();
    const { host } = splitHost(this.opts.listen);
    this.opts.log.info(
      { address: `${host}:${this.server.port}`, tls: this.opts.tlsCert !== undefined },
      'admin server listening',
    );
    return this.server.port;
  }

  /** Closes the listener and every connection at once. */
  async stop(): Promise<void> {
    await this.server.stop(0);
  }
}
