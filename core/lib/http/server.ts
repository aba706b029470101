/**
 * The one HTTP server of VIVA: the admin server, http_listener, prometheus_client and the
 * collector's ingest all listen through it. It owns what they share: "host:port" parsing, plain or
 * TLS (with client certificates), the connection limits and timeouts, one constant-time credential
 * check (core/lib/listen/auth.ts) that answers 401 and counts and logs the refusal, coded listen
 * errors, and a graceful stop. Routing stays with each user: it passes one request handler.
 */
import fs from 'node:fs';
import type * as Http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { LogThrottle } from '../../engine/telemetry/log-throttle.ts';
import { ErrorCode, type ErrorCodeValue } from '../../model/errors/codes.ts';
import { VivaError } from '../../model/errors/errors.ts';
import { authorized, authRequired, type Credentials } from '../listen/auth.ts';

// Taken as a CommonJS module, not imported: an ES import of node:http builds its namespace by
// reading every export, and its lazy WebSocket getter then loads Node's bundled undici (and with
// it http2, tls, worker_threads...), RSS an idle agent would hold for nothing (BENCHMARKS.md,
// "Each change, what it saved"). node:https (and TLS) load only for a server that has a cert.
const http = process.getBuiltinModule('node:http');

/** Splits "host:port" (IPv6 as "[::1]:port"; an empty host is every interface). */
export function splitHostPort(listen: string): { host: string; port: number } {
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(listen);
  if (m === null) throw new Error(`invalid listen address "${listen}" (want host:port)`);
  return { host: m[1] === '' ? '0.0.0.0' : m[1], port: Number(m[2]) };
}

/** PEM files of an HTTPS server; `clientCa` requires client certificates signed by it (mTLS). */
export interface ServerTls {
  cert: string;
  key: string;
  clientCa?: string;
}

/** Connection limits and timeouts in ms; an absent one keeps Node's default. */
export interface HttpLimits {
  /** Connections served at once; more are closed at once (see `onDrop`). */
  maxConnections?: number;
  /** Deadline for receiving a whole request. */
  requestTimeoutMs?: number;
  /** Deadline for receiving the request headers. */
  headersTimeoutMs?: number;
  /** How long an idle keep-alive connection stays open. */
  keepAliveTimeoutMs?: number;
  /** Close a connection inactive this long (Node's `server.timeout`; 0 = never). */
  idleTimeoutMs?: number;
}

/** One refused request, as counted and logged (never the presented credentials). */
export interface AuthFailure {
  server: string;
  remote: string | undefined;
  path: string;
}

/** The part of Telemetry the server counts its refusals with. */
export interface CounterSource {
  counter(name: string, description: string): { add(value: number, attrs?: Record<string, string>): void };
}

export interface HttpServerOptions {
  /** Names the server in logs, errors and `viva_http_auth_failures_total{server}`. */
  name: string;
  /** "host:port", "[::1]:port"; port 0 picks a free port (see `port` after start). */
  listen: string;
  log: Logger;
  /** Serves every request; call `authorize` where a route needs credentials. */
  handler: (req: IncomingMessage, res: ServerResponse) => void;
  /** Serve HTTPS with these files (read at start). */
  tls?: ServerTls;
  /** Credentials `authorize` requires; none configured means every request passes. */
  credentials?: Credentials;
  /** Counts refusals in `viva_http_auth_failures_total{server=name}`. */
  telemetry?: CounterSource;
  /** Counts a refusal instead of `telemetry` (a plugin counts in its own metric). */
  onAuthFailure?: (f: AuthFailure) => void;
  /** Log refusals throttled with VIVA_ERR_AUTH (default true; off where `onAuthFailure` logs). */
  logAuthFailures?: boolean;
  /** Writes the 401 answer; default a JSON `{"error":"unauthorized"}`. Headers carry the challenge. */
  sendUnauthorized?: (res: ServerResponse, headers: Record<string, string>) => void;
  limits?: HttpLimits;
  /** A connection closed at once because `maxConnections` were open; default a throttled warning. */
  onDrop?: (remote: string | undefined) => void;
  /** Code of the error `start` rejects with (default VIVA_ERR_LISTEN; plugins: VIVA_ERR_PLUGIN_START). */
  errorCode?: ErrorCodeValue;
}

/** What a listen failure means to the person who configured the address. */
const LISTEN_REASONS: Record<string, string> = {
  EADDRINUSE: 'address already in use',
  EACCES: 'permission denied (a port below 1024 needs privileges)',
  EADDRNOTAVAIL: 'address not available on this host',
  ENOTFOUND: 'host not found',
};

/** Answers of a request the HTTP parser refused, as Node answers them by default. */
function clientErrorStatus(code: string | undefined): string {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return '408 Request Timeout';
  if (code === 'HPE_HEADER_OVERFLOW') return '431 Request Header Fields Too Large';
  return '400 Bad Request';
}

/** One HTTP(S) listener with auth, limits and a graceful stop. */
export class HttpServer {
  private readonly opts: HttpServerOptions;
  private readonly warnings: LogThrottle;
  private readonly authFailures: ReturnType<CounterSource['counter']> | undefined;
  private server: Http.Server | undefined;
  /** Answers not yet sent, so a stop can tell their connections not to stay open. */
  private readonly pending = new Set<ServerResponse>();
  private stopping = false;
  /** The bound port after `start` (0 before). */
  port = 0;

  constructor(opts: HttpServerOptions) {
    this.opts = opts;
    this.warnings = new LogThrottle(opts.log);
    this.authFailures = opts.telemetry?.counter(
      'viva_http_auth_failures',
      'HTTP requests refused for missing or wrong credentials, by server',
    );
  }

  /** The bound address after `start`. */
  address(): AddressInfo | undefined {
    const a = this.server?.address();
    return typeof a === 'object' && a !== null ? a : undefined;
  }

  /** True when credentials are configured, so `authorize` can refuse. */
  get authRequired(): boolean {
    return this.opts.credentials !== undefined && authRequired(this.opts.credentials);
  }

  /** The credential check alone (constant-time), without answering; `query` carries v1 `u`/`p`. */
  check(req: IncomingMessage, query: URLSearchParams | null = null): boolean {
    const c = this.opts.credentials;
    return c === undefined || authorized(c, req.headers, query);
  }

  /**
   * True when the request carries the configured credentials (or none are configured). Otherwise
   * it answers 401 with WWW-Authenticate, counts and logs (throttled, VIVA_ERR_AUTH, never the
   * presented secret) and returns false: the caller returns without touching `res`.
   */
  authorize(req: IncomingMessage, res: ServerResponse, query: URLSearchParams | null = null): boolean {
    if (this.check(req, query)) return true;
    const f: AuthFailure = {
      server: this.opts.name,
      remote: req.socket.remoteAddress,
      path: (req.url ?? '/').split('?')[0],
    };
    if (this.opts.onAuthFailure !== undefined) this.opts.onAuthFailure(f);
    else this.authFailures?.add(1, { server: f.server });
    if (this.opts.logAuthFailures !== false)
      this.warnings.warn('unauthorized', { code: ErrorCode.AUTH, ...f }, 'unauthorized request');
    const c = this.opts.credentials;
    const headers = {
      'www-authenticate': c?.username !== undefined && c.username !== '' ? 'Basic realm="viva"' : 'Bearer',
    };
    if (this.opts.sendUnauthorized !== undefined) this.opts.sendUnauthorized(res, headers);
    else {
      res.writeHead(401, { ...headers, 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'unauthorized' }));
    }
    return false;
  }

  private create(): Http.Server {
    const handler = (req: IncomingMessage, res: ServerResponse): void => {
      this.pending.add(res);
      res.once('close', () => this.pending.delete(res));
      if (this.stopping) res.shouldKeepAlive = false;
      this.opts.handler(req, res);
    };
    const t = this.opts.tls;
    if (t === undefined) return http.createServer(handler);
    const ca = t.clientCa !== undefined ? fs.readFileSync(t.clientCa) : undefined;
    return process.getBuiltinModule('node:https').createServer(
      {
        cert: fs.readFileSync(t.cert),
        key: fs.readFileSync(t.key),
        ca,
        requestCert: ca !== undefined,
        rejectUnauthorized: ca !== undefined,
      },
      handler,
    );
  }

  private applyLimits(server: Http.Server): void {
    const l = this.opts.limits ?? {};
    if (l.requestTimeoutMs !== undefined) server.requestTimeout = l.requestTimeoutMs;
    if (l.headersTimeoutMs !== undefined) server.headersTimeout = l.headersTimeoutMs;
    if (l.keepAliveTimeoutMs !== undefined) server.keepAliveTimeout = l.keepAliveTimeoutMs;
    if (l.idleTimeoutMs !== undefined) server.timeout = l.idleTimeoutMs;
    if (l.maxConnections !== undefined) {
      server.maxConnections = l.maxConnections;
      server.on('drop', (d?: { remoteAddress?: string }) => {
        if (this.opts.onDrop !== undefined) this.opts.onDrop(d?.remoteAddress);
        else
          this.warnings.warn(
            'drop',
            { server: this.opts.name, remote: d?.remoteAddress, max_connections: l.maxConnections },
            'too many connections; closed a new one',
          );
      });
    }
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
      this.opts.log.debug({ server: this.opts.name, err: err.message }, 'bad HTTP request');
      const s = socket as Socket;
      if (s.writable && s.bytesWritten === 0)
        s.end(`HTTP/1.1 ${clientErrorStatus(err.code)}\r\nConnection: close\r\n\r\n`);
      else s.destroy();
    });
  }

  /**
   * Listens; rejects with a coded VivaError naming the address and the reason when it cannot.
   * Logs nothing: each user logs its own "listening" line with its own fields.
   */
  async start(): Promise<void> {
    const { host, port } = splitHostPort(this.opts.listen);
    const server = this.create();
    this.stopping = false;
    this.applyLimits(server);
    await new Promise<void>((resolve, reject) => {
      const failed = (e: NodeJS.ErrnoException): void => {
        const reason = LISTEN_REASONS[e.code ?? ''] ?? e.message;
        const code = e.code !== undefined && reason !== e.message ? ` (${e.code})` : '';
        reject(
          new VivaError(
            this.opts.errorCode ?? ErrorCode.LISTEN,
            `${this.opts.name}: cannot listen on ${this.opts.listen}: ${reason}${code}`,
            { cause: e },
          ),
        );
      };
      server.once('error', failed);
      server.listen(port, host, () => {
        server.off('error', failed);
        resolve();
      });
    });
    this.server = server;
    this.port = this.address()?.port ?? port;
  }

  /**
   * Stops listening and ends idle keep-alive connections at once; requests in flight get
   * `graceMs` to finish (their connections close after the answer), then every socket goes.
   */
  async stop(graceMs = 0): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    this.stopping = true;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // A connection whose answer is still to come is not kept alive after it.
    for (const res of this.pending) if (!res.headersSent) res.shouldKeepAlive = false;
    server.closeIdleConnections();
    const idle = setInterval(() => server.closeIdleConnections(), 50);
    const deadline = setTimeout(() => server.closeAllConnections(), graceMs);
    await closed;
    clearInterval(idle);
    clearTimeout(deadline);
  }
}
