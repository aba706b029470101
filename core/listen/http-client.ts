/**
 * The HTTP client side shared by the polling inputs (http, prometheus): one undici Agent per
 * plugin instance, bearer or basic auth, a CA or skipped verification, a deadline per request,
 * and a bound on the body size read into memory.
 */
import fs from 'node:fs';
import { Agent, request } from 'undici';

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
    this.agent ??= new Agent({
      connect: {
        rejectUnauthorized: !this.opts.insecureSkipVerify,
        ca: this.opts.tlsCa !== undefined ? fs.readFileSync(this.opts.tlsCa) : undefined,
      },
    });
    return this.agent;
  }

  private async headers(extra: Record<string, string>): Promise<Record<string, string>> {
    const h: Record<string, string> = { ...this.opts.headers, ...extra };
    const o = this.opts;
    if (o.bearerTokenFile !== undefined) {
      h.authorization = `Bearer ${(await fs.promises.readFile(o.bearerTokenFile, 'utf8')).trim()}`;
    } else if (o.bearerToken !== undefined) h.authorization = `Bearer ${o.bearerToken}`;
    else if (o.username !== undefined) {
      h.authorization = 'Basic ' + Buffer.from(`${o.username}:${o.password ?? ''}`).toString('base64');
    }
    return h;
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
