/**
 * The fleet's routes on the collector's ingest listener, with the same tokens as /v1/batch:
 * `POST /v1/heartbeat` (a JSON heartbeat into the registry) and `GET /v1/config/<name>` (central
 * configuration, central.ts). Every refusal is counted and logged at most once per reason and 10 s.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Counter } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { LogThrottle } from '../../core/engine/telemetry/log-throttle.ts';
import type { Telemetry } from '../../core/engine/telemetry/telemetry.ts';
import { ErrorCode } from '../../core/model/errors/codes.ts';
import { CONFIG_PATH, serveConfig } from './central.ts';
import { heartbeatSchema } from './heartbeat.ts';
import type { FleetRegistry } from './registry.ts';

export const HEARTBEAT_PATH = '/v1/heartbeat';
const MAX_HEARTBEAT_BYTES = 64 * 1024;

export interface FleetEndpointOptions {
  registry: FleetRegistry;
  /** The token name a request presents ('' with no tokens configured), null when refused. */
  authorize: (req: IncomingMessage) => string | null;
  /** The directory of central configs, read at each request (a reload may change it). */
  configDir: () => string;
  telemetry: Telemetry;
  log: Logger;
}

export class FleetEndpoints {
  private readonly o: FleetEndpointOptions;
  private readonly accepted: Counter;
  private readonly refused: Counter;
  private readonly configs: Counter;
  private readonly throttle: LogThrottle;

  constructor(o: FleetEndpointOptions) {
    this.o = o;
    this.accepted = o.telemetry.counter('viva_fleet_heartbeats', 'Heartbeats taken into the fleet registry');
    this.refused = o.telemetry.counter(
      'viva_fleet_heartbeats_rejected',
      'Heartbeats refused, by reason (auth, malformed, too_large, full, method)',
    );
    this.configs = o.telemetry.counter(
      'viva_fleet_config_requests',
      'Central config requests, by status (200, 304, 400, 401, 404)',
    );
    this.throttle = new LogThrottle(o.log);
  }

  /** True for the paths these endpoints answer. */
  serves(path: string): boolean {
    return path === HEARTBEAT_PATH || path.startsWith(CONFIG_PATH);
  }

  /** The request handler; never throws. */
  handle(req: IncomingMessage, res: ServerResponse, path: string): void {
    const work = path === HEARTBEAT_PATH ? this.heartbeat(req, res) : this.config(req, res, path);
    work.catch((e: unknown) => {
      this.o.log.error({ err: e instanceof Error ? e.message : String(e), path }, 'fleet endpoint failed');
      if (!res.headersSent) send(res, 500, { error: 'internal error' });
      else res.end();
    });
  }

  private refuse(
    res: ServerResponse,
    status: number,
    reason: string,
    message: string,
    req: IncomingMessage,
  ): void {
    this.refused.add(1, { reason });
    this.throttle.warn(
      `heartbeat ${reason}`,
      {
        code: status === 401 ? ErrorCode.AUTH : ErrorCode.FLEET,
        status,
        reason,
        remote: req.socket.remoteAddress,
        detail: message,
      },
      'heartbeat refused',
    );
    send(res, status, { error: message }, !req.readableEnded);
  }

  private async heartbeat(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') return this.refuse(res, 405, 'method', 'POST a heartbeat', req);
    if (this.o.authorize(req) === null)
      return this.refuse(res, 401, 'auth', 'missing or wrong bearer token', req);
    const body = await readBody(req, MAX_HEARTBEAT_BYTES);
    if (body === null)
      return this.refuse(res, 413, 'too_large', `heartbeat over ${MAX_HEARTBEAT_BYTES} bytes`, req);
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      return this.refuse(res, 400, 'malformed', 'heartbeat is not JSON', req);
    }
    const hb = heartbeatSchema.safeParse(json);
    if (!hb.success) {
      const first = hb.error.issues[0];
      const msg = `heartbeat invalid: ${first.path.join('.') || '(root)'}: ${first.message}`;
      return this.refuse(res, 400, 'malformed', msg, req);
    }
    if (!this.o.registry.heartbeat(hb.data))
      return this.refuse(res, 429, 'full', 'the fleet registry is full ([collector.fleet] max_agents)', req);
    this.accepted.add(1);
    res.writeHead(204);
    res.end();
  }

  private async config(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      this.configs.add(1, { status: '405' });
      return send(res, 405, { error: 'GET a config' });
    }
    if (this.o.authorize(req) === null) {
      this.configs.add(1, { status: '401' });
      this.throttle.warn(
        'config auth',
        { code: ErrorCode.AUTH, status: 401, remote: req.socket.remoteAddress },
        'config request refused',
      );
      return send(res, 401, { error: 'missing or wrong bearer token' });
    }
    let name: string;
    try {
      name = decodeURIComponent(path.slice(CONFIG_PATH.length));
    } catch {
      name = '';
    }
    const a = await serveConfig(this.o.configDir(), name, header(req, 'if-none-match'));
    this.configs.add(1, { status: String(a.status) });
    if (a.status === 304) {
      res.writeHead(304, { etag: a.etag, 'cache-control': 'no-cache' });
      res.end();
    } else if (a.status === 200) {
      res.writeHead(200, {
        etag: a.etag,
        'cache-control': 'no-cache',
        'content-type': 'application/toml; charset=utf-8',
        'content-length': a.body.length,
      });
      res.end(req.method === 'HEAD' ? undefined : a.body);
    } else send(res, a.status, { error: a.error });
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

function send(res: ServerResponse, status: number, body: unknown, close = false): void {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (close) headers.connection = 'close';
  res.writeHead(status, headers);
  res.end(JSON.stringify(body));
}

/** The body, or null once it grows past `max` bytes. */
function readBody(req: IncomingMessage, max: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      if (over) return;
      n += c.length;
      if (n > max) {
        over = true;
        req.pause();
        resolve(null);
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!over) resolve(Buffer.concat(chunks, n));
    });
    req.on('error', reject);
  });
}
