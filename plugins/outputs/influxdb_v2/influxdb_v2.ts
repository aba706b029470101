/**
 * The influxdb_v2 output: line protocol to the InfluxDB 2.x `/api/v2/write` API with a token.
 * Plain HTTP (undici) rather than @influxdata/influxdb-client, whose WriteApi batches, buffers and
 * retries on its own: here the core does all three, and every response maps onto a WriteError
 * (see README) — partial writes keep what was stored, 413 halves the batch, 429/503 honour
 * Retry-After, 401/403 are retried until the token works.
 */
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import { WriteError, parseRetryAfter } from '../../../core/model/errors/errors.ts';
import type { Serializer } from '../../../core/format/types.ts';
import { HttpSender, type HttpAnswer } from '../../../core/lib/http/client.ts';
import { Failover } from '../../../core/lib/http/failover.ts';
import type { Metric } from '../../../core/model/metric/metric.ts';
import type { OutputInstance, PluginContext } from '../../../core/plugin/types.ts';
import type { InfluxdbV2Config } from './config.ts';
import { rejectedMetrics } from '../../../core/lib/influx/rejections.ts';
import { tooLarge, writeHalving } from '../../../core/lib/influx/split.ts';

const gzip = promisify(gzipCb);

/** The answer to one request. */
/** The message of a v2 error body (`{"code": "...", "message": "..."}`), or the raw text. */
function errorText(text: string): string {
  try {
    const body = JSON.parse(text) as { message?: unknown; code?: unknown };
    if (typeof body.message === 'string') return body.message;
    if (typeof body.code === 'string') return body.code;
  } catch {
    // not JSON: use the text as it is
  }
  return text.slice(0, 500);
}

export class InfluxdbV2Output implements OutputInstance {
  private readonly cfg: InfluxdbV2Config;
  private readonly serializer: Serializer;
  private readonly http: HttpSender;
  private readonly failover: Failover;

  constructor(cfg: InfluxdbV2Config, serializer: Serializer, ctx: PluginContext) {
    this.cfg = cfg;
    this.serializer = serializer;
    this.failover = new Failover(cfg.urls, ctx.log, 'influxdb', 'write');
    const h: Record<string, string> = {
      'content-type': 'text/plain; charset=utf-8',
      ...cfg.http_headers,
      authorization: `Token ${cfg.token}`,
    };
    if (cfg.content_encoding === 'gzip') h['content-encoding'] = 'gzip';
    this.http = new HttpSender({ tls: cfg, headers: h, timeoutMs: cfg.timeout, connectTimeout: true });
  }

  connect(): Promise<void> {
    this.http.connect();
    return Promise.resolve();
  }

  async write(metrics: Metric[]): Promise<void> {
    if (metrics.length === 0) return;
    await writeHalving(metrics, (part) => this.writeFailingOver(part));
  }

  /** Sends to the URL that answered last, then to the others in order while the failure is retryable. */
  private async writeFailingOver(metrics: Metric[]): Promise<void> {
    let body = this.serializer.serialize(metrics);
    if (body.length === 0) return;
    if (this.cfg.content_encoding === 'gzip') body = await gzip(body);
    await this.failover.send(async (url) => {
      const answer = await this.post(url, body);
      return answer instanceof WriteError ? answer : this.failure(answer, metrics);
    });
  }

  private writeUrl(base: string): string {
    const u = new URL('api/v2/write', base.endsWith('/') ? base : base + '/');
    u.searchParams.set('org', this.cfg.organization);
    u.searchParams.set('bucket', this.cfg.bucket);
    u.searchParams.set('precision', this.cfg.precision);
    return u.toString();
  }

  private post(url: string, body: Buffer): Promise<HttpAnswer | WriteError> {
    return this.http.send(this.writeUrl(url), body);
  }

  /** Maps a response to the WriteError the core understands; undefined when delivered. */
  private failure(a: HttpAnswer, metrics: Metric[]): WriteError | undefined {
    if (a.status >= 200 && a.status < 300) return undefined;
    const message = errorText(a.text);
    const what = `InfluxDB answered ${a.status}${message !== '' ? `: ${message}` : ''}`;
    switch (a.status) {
      case 400:
      case 422:
        return this.refused(what, message, metrics);
      case 401:
      case 403:
        return WriteError.retryable(
          `${what} (check the token and its write permission on the bucket; retrying until it works)`,
        );
      case 404:
        return WriteError.retryable(`${what} (organization or bucket missing; retrying until it exists)`);
      case 413: {
        const err = WriteError.permanent(`${what} (request too large)`);
        tooLarge.add(err);
        return err;
      }
      default:
        return WriteError.retryable(what, { retryAfterMs: parseRetryAfter(a.retryAfter) });
    }
  }

  /**
   * 400 and 422. A partial write (`dropped=N`) stored the rest. Without one, the lines quoted as
   * unparsable are rejected and the rest is sent again: InfluxDB 2.x OSS refuses the whole batch
   * for one bad line, and where it does not, writing a point twice is harmless (same series and
   * time is an overwrite).
   */
  private refused(what: string, message: string, metrics: Metric[]): WriteError | undefined {
    const rejected = rejectedMetrics(message, metrics, this.cfg.precision);
    if (rejected.length >= metrics.length) return WriteError.permanent(what);
    if (message.includes('dropped='))
      return rejected.length === 0 ? undefined : WriteError.partial(what, { rejected });
    if (rejected.length === 0) return WriteError.permanent(what);
    const bad = new Set(rejected.map((r) => r.index));
    const retry = metrics.map((_, i) => i).filter((i) => !bad.has(i));
    return WriteError.partial(what, { rejected, retry });
  }

  close(): Promise<void> {
    return this.http.close();
  }
}
