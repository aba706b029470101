/**
 * The http output: sends each batch as one request. Status codes map to the core's retry rules:
 * 408, 429 and 5xx are retried (honouring Retry-After), 400/413/422 are permanent for that batch,
 * other statuses are retried.
 */
import fs from 'node:fs';
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import { Agent, request } from 'undici';
import { WriteError, parseRetryAfter } from '../../../core/errors/errors.ts';
import type { Serializer } from '../../../core/format/types.ts';
import type { Metric } from '../../../core/metric/metric.ts';
import type { OutputInstance } from '../../../core/plugin/types.ts';
import type { HttpConfig } from './config.ts';

const gzip = promisify(gzipCb);
const PERMANENT = new Set([400, 413, 422]);

/** Maps a failed HTTP status to the WriteError the core understands. */
export function statusError(status: number, body: string, retryAfter: string | undefined): WriteError {
  const msg = `HTTP ${status}${body !== '' ? `: ${body.slice(0, 200)}` : ''}`;
  if (PERMANENT.has(status)) return WriteError.permanent(msg);
  return WriteError.retryable(msg, { retryAfterMs: parseRetryAfter(retryAfter) });
}

export class HttpOutput implements OutputInstance {
  private readonly cfg: HttpConfig;
  private readonly serializer: Serializer;
  private readonly dispatcher: Agent;
  private readonly headers: Record<string, string>;

  constructor(cfg: HttpConfig, serializer: Serializer) {
    this.cfg = cfg;
    this.serializer = serializer;
    this.dispatcher = new Agent({
      connect: {
        rejectUnauthorized: !cfg.insecure_skip_verify,
        ca: cfg.tls_ca !== undefined ? fs.readFileSync(cfg.tls_ca) : undefined,
      },
    });
    const h: Record<string, string> = { 'content-type': serializer.contentType, ...cfg.headers };
    if (cfg.content_encoding === 'gzip') h['content-encoding'] = 'gzip';
    if (cfg.token !== undefined) h.authorization = `Bearer ${cfg.token}`;
    else if (cfg.username !== undefined)
      h.authorization = 'Basic ' + Buffer.from(`${cfg.username}:${cfg.password ?? ''}`).toString('base64');
    this.headers = h;
  }

  async write(metrics: Metric[]): Promise<void> {
    let body = this.serializer.serialize(metrics);
    if (this.cfg.content_encoding === 'gzip') body = await gzip(body);
    let res;
    try {
      res = await request(this.cfg.url, {
        method: this.cfg.method,
        headers: this.headers,
        body,
        dispatcher: this.dispatcher,
        headersTimeout: this.cfg.timeout,
        bodyTimeout: this.cfg.timeout,
      });
    } catch (e) {
      throw WriteError.retryable(
        `request to ${new URL(this.cfg.url).host} failed: ${e instanceof Error ? e.message : String(e)}`,
        { cause: e },
      );
    }
    const text = await res.body.text();
    if (this.cfg.success_codes.includes(res.statusCode)) return;
    const ra = res.headers['retry-after'];
    throw statusError(res.statusCode, text, Array.isArray(ra) ? ra[0] : ra);
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}
