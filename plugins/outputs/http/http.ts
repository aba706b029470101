/**
 * The http output: sends each batch as one request. Status codes map to the core's retry rules:
 * 408, 429 and 5xx are retried (honouring Retry-After), 400/413/422 are permanent for that batch,
 * other statuses are retried.
 */
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import type { Agent } from 'undici';
import { request } from 'undici';
import type { WriteError } from '../../../core/errors/errors.ts';
import {
  authHeaders,
  httpStatusError,
  requestFailed,
  retryAfterHeader,
  tlsDispatcher,
} from '../../../core/http/client.ts';
import type { Serializer } from '../../../core/format/types.ts';
import type { Metric } from '../../../core/metric/metric.ts';
import type { OutputInstance } from '../../../core/plugin/types.ts';
import type { HttpConfig } from './config.ts';

const gzip = promisify(gzipCb);

/** Maps a failed HTTP status to the WriteError the core understands. */
export function statusError(status: number, body: string, retryAfter: string | undefined): WriteError {
  return httpStatusError('HTTP', status, body, retryAfter);
}

export class HttpOutput implements OutputInstance {
  private readonly cfg: HttpConfig;
  private readonly serializer: Serializer;
  private readonly dispatcher: Agent;
  private readonly headers: Record<string, string>;

  constructor(cfg: HttpConfig, serializer: Serializer) {
    this.cfg = cfg;
    this.serializer = serializer;
    this.dispatcher = tlsDispatcher(cfg);
    const h: Record<string, string> = { 'content-type': serializer.contentType, ...cfg.headers };
    if (cfg.content_encoding === 'gzip') h['content-encoding'] = 'gzip';
    this.headers = { ...h, ...authHeaders(cfg) };
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
      throw requestFailed(this.cfg.url, e);
    }
    const text = await res.body.text();
    if (this.cfg.success_codes.includes(res.statusCode)) return;
    throw statusError(res.statusCode, text, retryAfterHeader(res.headers));
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}
