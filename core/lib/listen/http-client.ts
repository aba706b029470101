/**
 * The HTTP client side shared by the polling inputs (http, prometheus): one undici Agent per
 * plugin instance, bearer or basic auth, a CA or skipped verification, a deadline per request,
 * and a bound on the body size read into memory.
 */
import fs from 'node:fs';
import { type Agent, request } from 'undici';
import { authHeaders, tlsDispatcher } from '../http/client.ts';
import { redactUrl } from '../../model/redact.ts';

/** Options of an HttpPoller. */
export interface HttpPollerOptions {
  timeoutMs: number;
  headers: Record<string, string>;
  bearerToken?: string;
  /** Read on every request, so a rotated token is picked up. */
  bearerTokenFile?: string;
  username?: string;
  password?: string;
  tlsCa?: string;
  insecureSkipVerify: boolean;
  maxBodySize: number;
}

/** The snake_case poller keys the polling inputs share in their configs. */
export interface HttpPollerConfig {
  response_timeout: number;
  headers: Record<string, string>;
  bearer_token?: string;
  bearer_token_file?: string;
  username?: string;
  password?: string;
  tls_ca?: string;
  insecure_skip_verify: boolean;
  max_body_size: number;
}

/** HttpPoller options from a polling input's config; headers default to the configured ones. */
export function pollerOptions(cfg: HttpPollerConfig, headers = cfg.headers): HttpPollerOptions {
  return {
    timeoutMs: cfg.response_timeout,
    headers,
    bearerToken: cfg.bearer_token,
    bearerTokenFile: cfg.bearer_token_file,
    username: cfg.username,
    password: cfg.password,
    tlsCa: cfg.tls_ca,
    insecureSkipVerify: cfg.insecure_skip_verify,
    maxBodySize: cfg.max_body_size,
  };
}

/**
 * Polls every url at once; the good ones are pushed by poll itself, and the failures are thrown
 * together afterwards (`<what> failed: url: why; ...`) so the gather is counted and logged as failed.
 */
export async function pollAll(
  urls: readonly string[],
  poll: (url: string) => Promise<void>,
  what: string,
): Promise<void> {
  const failures: string[] = [];
  await Promise.all(
    urls.map((url) =>
      poll(url).catch((e: unknown) => {
        failures.push(`${redactUrl(url)}: ${redactUrl(errorText(e))}`);
      }),
    ),
  );
  if (failures.length > 0) throw new Error(`${what} failed: ${failures.join('; ')}`);
}

/** One response, body read whole. */
export interface PolledResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export class HttpPoller {
  private readonly opts: HttpPollerOptions;
  private agent: Agent | undefined;

  constructor(opts: HttpPollerOptions) {
    this.opts = opts;
  }

  private dispatcher(): Agent {
    this.agent ??= tlsDispatcher({
      tls_ca: this.opts.tlsCa,
      insecure_skip_verify: this.opts.insecureSkipVerify,
    });
    return this.agent;
  }

  private async headers(extra: Record<string, string>): Promise<Record<string, string>> {
    const h: Record<string, string> = { ...this.opts.headers, ...extra };
    const o = this.opts;
    if (o.bearerTokenFile !== undefined) {
      h.authorization = `Bearer ${(await fs.promises.readFile(o.bearerTokenFile, 'utf8')).trim()}`;
      return h;
    }
    return { ...h, ...authHeaders({ token: o.bearerToken, username: o.username, password: o.password }) };
  }

  /** Sends one request; throws on network errors, timeouts and oversized bodies. */
  async fetch(
    url: string,
    init: { method?: string; body?: string; headers?: Record<string, string> } = {},
  ): Promise<PolledResponse> {
    const res = await request(url, {
      method: (init.method ?? 'GET') as 'GET',
      headers: await this.headers(init.headers ?? {}),
      body: init.body,
      dispatcher: this.dispatcher(),
      signal: AbortSignal.timeout(this.opts.timeoutMs),
    });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      const b = chunk as Buffer;
      size += b.length;
      if (size > this.opts.maxBodySize) {
        res.body.destroy();
        throw new Error(`response body larger than ${this.opts.maxBodySize} bytes`);
      }
      chunks.push(b);
    }
    return { status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) };
  }

  async close(): Promise<void> {
    const a = this.agent;
    this.agent = undefined;
    await a?.close();
  }
}

/** The message of an error, with its cause when it has one (undici wraps socket errors). */
export function errorText(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = e.cause instanceof Error ? `: ${e.cause.message}` : '';
  return e.message + cause;
}
