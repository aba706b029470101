/**
 * The client side shared by the HTTP outputs (http, alertmanager, webhook, influxdb, influxdb_v2,
 * prometheus_remote_write): their auth and TLS config keys, the Authorization header, the sender
 * (an undici Agent carrying the TLS options, its lifecycle and the request with its timeout), and
 * the usual mapping of a failed status to a WriteError. It lives
 * in core because a plugin never imports another plugin; each plugin keeps its own special cases
 * (InfluxDB's partial writes, remote write's sample errors) and passes the rest as parameters.
 */
import fs from 'node:fs';
import { Agent, request, type Dispatcher } from 'undici';
import { z } from 'zod';
import { WriteError, parseRetryAfter } from '../../model/errors/errors.ts';
import { secret } from '../../config/secret.ts';

/** Basic and bearer auth keys, in the order the plugins list them. */
export const httpAuthKeys = {
  username: z.string().optional().describe('Basic auth user.'),
  password: secret.optional().describe('Basic auth password.'),
  token: secret.optional().describe('Bearer token (Authorization: Bearer ...).'),
};

/** TLS keys of an https client; a plugin without mutual TLS picks tls_ca and insecure_skip_verify. */
export const httpTlsKeys = {
  tls_ca: z.string().optional().describe('PEM CA file to trust for https.'),
  tls_cert: z.string().optional().describe('PEM client certificate file (mutual TLS).'),
  tls_key: z.string().optional().describe('PEM client key file (mutual TLS).'),
  insecure_skip_verify: z.boolean().default(false).describe('Skip TLS certificate checks (testing only).'),
};

/** Credentials as parsed: a bearer token wins over basic auth. */
export interface HttpAuth {
  token?: string;
  username?: string;
  password?: string;
}

/** TLS options as parsed. */
export interface HttpTls {
  tls_ca?: string;
  tls_cert?: string;
  tls_key?: string;
  insecure_skip_verify: boolean;
}

/** The Authorization header of the credentials (Bearer, else Basic), or no header. */
export function authHeaders(cfg: HttpAuth): { authorization?: string } {
  if (cfg.token !== undefined) return { authorization: `Bearer ${cfg.token}` };
  if (cfg.username !== undefined)
    return {
      authorization: 'Basic ' + Buffer.from(`${cfg.username}:${cfg.password ?? ''}`).toString('base64'),
    };
  return {};
}

const read = (file: string | undefined): Buffer | undefined =>
  file === undefined ? undefined : fs.readFileSync(file);

/** An undici Agent with the TLS options; reads the PEM files, so call it from connect(). */
export function tlsDispatcher(cfg: HttpTls, connectTimeoutMs?: number): Agent {
  return new Agent({
    ...(connectTimeoutMs !== undefined ? { connectTimeout: connectTimeoutMs } : {}),
    connect: {
      rejectUnauthorized: !cfg.insecure_skip_verify,
      ca: read(cfg.tls_ca),
      cert: read(cfg.tls_cert),
      key: read(cfg.tls_key),
    },
  });
}

/** The Retry-After header of a response (the first one when repeated). */
export function retryAfterHeader(headers: Record<string, string | string[] | undefined>): string | undefined {
  const ra = headers['retry-after'];
  return Array.isArray(ra) ? ra[0] : ra;
}

/** Statuses no retry fixes, for most HTTP APIs. */
export const PERMANENT_STATUSES: ReadonlySet<number> = new Set([400, 413, 422]);

/** How httpStatusError treats a status beyond the usual rules. */
export interface StatusErrorOptions {
  /** Statuses that reject the batch for good (default 400, 413, 422). */
  permanent?: ReadonlySet<number>;
  /** When set, 401 and 403 are retried without Retry-After and this hint ends the message. */
  authHint?: string;
}

/** Maps a failed status to the WriteError the core understands: permanent or retryable with Retry-After. */
export function httpStatusError(
  label: string,
  status: number,
  body: string,
  retryAfter: string | undefined,
  opts: StatusErrorOptions = {},
): WriteError {
  const excerpt = body.trim().slice(0, 300);
  const msg = `${label} ${status}${excerpt !== '' ? `: ${excerpt}` : ''}`;
  if ((opts.permanent ?? PERMANENT_STATUSES).has(status)) return WriteError.permanent(msg);
  if (opts.authHint !== undefined && (status === 401 || status === 403))
    return WriteError.retryable(`${msg} (${opts.authHint})`);
  return WriteError.retryable(msg, { retryAfterMs: parseRetryAfter(retryAfter) });
}

/** The retryable WriteError of a request that got no answer (refused, reset, timed out). */
export function requestFailed(url: string, e: unknown, what = 'request'): WriteError {
  return WriteError.retryable(
    `${what} to ${new URL(url).host} failed: ${e instanceof Error ? e.message : String(e)}`,
    { cause: e },
  );
}

/** A server's answer to a request: status, body text and its Retry-After header. */
export interface HttpAnswer {
  status: number;
  text: string;
  retryAfter: string | undefined;
}

/** How one output talks HTTP. */
export interface HttpSenderOptions {
  tls: HttpTls;
  /** Headers of every request (unless a request brings its own). */
  headers: Record<string, string>;
  /** Limit of a whole exchange: connect, send, answer read. */
  timeoutMs: number;
  /** Also limit the TCP/TLS connect to timeoutMs (undici's own default is 10 s). */
  connectTimeout?: boolean;
  /** What a request that gets no answer is called in its error ("remote write to ... failed"). */
  what?: string;
}

/**
 * One output's HTTP client: an undici Agent carrying the TLS options, made by connect() (which
 * reads the PEM files, so a missing file fails the connect) or by the first request, and closed by
 * close(). A request that gets no answer (refused, reset, timed out) comes back as a retryable
 * WriteError, never as an exception; answerError() turns an answer into the output's verdict.
 */
export class HttpSender {
  private readonly o: HttpSenderOptions;
  private agent: Agent | undefined;

  constructor(o: HttpSenderOptions) {
    this.o = o;
  }

  connect(): void {
    this.dispatcher();
  }

  /** The Agent, for a request this class does not make itself. */
  dispatcher(): Agent {
    this.agent ??= tlsDispatcher(this.o.tls, this.o.connectTimeout === true ? this.o.timeoutMs : undefined);
    return this.agent;
  }

  /**
   * Sends a body (POST unless told; with the sender's headers unless given others) and reads the
   * whole answer within the timeout.
   */
  async send(
    url: string,
    body: Buffer | string,
    opts: { method?: Dispatcher.HttpMethod; headers?: Record<string, string> } = {},
  ): Promise<HttpAnswer | WriteError> {
    try {
      const res = await request(url, {
        method: opts.method ?? 'POST',
        headers: opts.headers ?? this.o.headers,
        body,
        dispatcher: this.dispatcher(),
        signal: AbortSignal.timeout(this.o.timeoutMs),
      });
      const text = await res.body.text();
      return { status: res.statusCode, text, retryAfter: retryAfterHeader(res.headers) };
    } catch (e) {
      return requestFailed(url, e, this.o.what);
    }
  }

  async close(): Promise<void> {
    const a = this.agent;
    this.agent = undefined;
    await a?.close();
  }
}

/**
 * The verdict on an answer: undefined when it is a success (a 2xx, or one of `ok` when given),
 * else the request's own WriteError or `toError`'s for the status.
 */
export function answerError(
  a: HttpAnswer | WriteError,
  toError: (status: number, body: string, retryAfter: string | undefined) => WriteError,
  ok?: readonly number[],
): WriteError | undefined {
  if (a instanceof WriteError) return a;
  if (ok !== undefined ? ok.includes(a.status) : a.status >= 200 && a.status < 300) return undefined;
  return toError(a.status, a.text, a.retryAfter);
}
