/**
 * The http output: sends each batch as one request. Status codes map to the core's retry rules:
 * 408, 429 and 5xx are retried (honouring Retry-After), 400/413/422 are permanent for that batch,
 * other statuses are retried.
 */
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import type { WriteError } from '../../../core/model/errors/errors.ts';
import { answerError, authHeaders, httpStatusError, HttpSender } from '../../../core/lib/http/client.ts';
import type { Serializer } from '../../../core/format/types.ts';
import type { Metric } from '../../../core/model/metric/metric.ts';
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
  private readonly http: HttpSender;

  constructor(cfg: HttpConfig, serializer: Serializer) {
    this.cfg = cfg;
    this.serializer = serializer;
    const h: Record<string, string> = { 'content-type': serializer.contentType, ...cfg.headers };
    if (cfg.content_encoding === 'gzip') h['content-encoding'] = 'gzip';
    this.http = new HttpSender({ tls: cfg, headers: { ...h, ...authHeaders(cfg) }, timeoutMs: cfg.timeout });
  }

  connect(): Promise<void> {
    this.http.connect();
    return Promise.resolve();
  }

  async write(metrics: Metric[]): Promise<void> {
    let body = this.serializer.serialize(metrics);
    if (this.cfg.content_encoding === 'gzip') body = await gzip(body);
    const answer = await this.http.send(this.cfg.url, body, { method: this.cfg.method });
    const err = answerError(answer, statusError, this.cfg.success_codes);
    if (err !== undefined) throw err;
  }

  close(): Promise<void> {
    return this.http.close();
  }
}
