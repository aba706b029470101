/**
 * The prometheus_remote_write output: each batch becomes one remote write 1.0 request (protobuf
 * WriteRequest, Snappy-compressed; both encoders in core/format/prometheus). Responses follow the
 * remote write spec: 2xx delivered; 5xx and 429 retried (Retry-After honoured); 400 and other
 * 4xx refused for good (out-of-order or too old samples do not get better), except 401/403,
 * retried until the credentials work. Prometheus 2.x answers some sample errors with 500 (a too
 * old sample when out-of-order ingestion is on): those are recognised by their message and
 * refused for good too, or one bad sample would hold the output back forever.
 */
import { WriteError, parseRetryAfter } from '../../../core/model/errors/errors.ts';
import { REMOTE_WRITE_HEADERS, remoteWriteBody } from '../../../core/format/prometheus/remotewrite.ts';
import { answerError, authHeaders, HttpSender } from '../../../core/lib/http/client.ts';
import type { Metric } from '../../../core/model/metric/metric.ts';
import type { OutputInstance, PluginContext } from '../../../core/plugin/types.ts';
import type { PrometheusRemoteWriteConfig } from './config.ts';
import { toTimeSeries } from './series.ts';

/** Errors about the samples themselves, which no retry fixes, whatever the status says. */
const SAMPLE_ERRORS =
  /too old sample|out of bounds|out of order sample|duplicate sample for timestamp|sample timestamp out of order/i;

/** Maps a failed remote write status to the WriteError the core understands. */
export function statusError(status: number, body: string, retryAfter: string | undefined): WriteError {
  const msg = `remote write answered ${status}${body !== '' ? `: ${body.trim().slice(0, 300)}` : ''}`;
  if (SAMPLE_ERRORS.test(body)) return WriteError.permanent(msg);
  if (status === 429 || status >= 500)
    return WriteError.retryable(msg, { retryAfterMs: parseRetryAfter(retryAfter) });
  if (status === 401 || status === 403)
    return WriteError.retryable(`${msg} (check the credentials; retrying until they work)`);
  return WriteError.permanent(msg);
}

export class PrometheusRemoteWriteOutput implements OutputInstance {
  private readonly cfg: PrometheusRemoteWriteConfig;
  private readonly ctx: PluginContext;
  private readonly skipped: (value?: number) => void;
  private readonly http: HttpSender;

  constructor(cfg: PrometheusRemoteWriteConfig, ctx: PluginContext) {
    this.cfg = cfg;
    this.ctx = ctx;
    const headers = {
      ...cfg.headers,
      ...REMOTE_WRITE_HEADERS,
      'user-agent': 'viva',
      ...authHeaders({ token: cfg.bearer_token, username: cfg.username, password: cfg.password }),
    };
    this.http = new HttpSender({
      tls: cfg,
      headers,
      timeoutMs: cfg.timeout,
      connectTimeout: true,
      what: 'remote write',
    });
    this.skipped = ctx.metrics.counter('remote_write_skipped_fields', 'String fields left out (not samples)');
  }

  connect(): Promise<void> {
    this.http.connect();
    return Promise.resolve();
  }

  async write(metrics: Metric[]): Promise<void> {
    const { series, skipped } = toTimeSeries(metrics);
    if (skipped > 0) this.skipped(skipped);
    if (series.length === 0) return;
    const err = answerError(await this.http.send(this.cfg.url, remoteWriteBody(series)), statusError);
    if (err === undefined) return;
    if (err.kind === 'permanent')
      this.ctx.log.debug({ err: err.message, series: series.length }, 'remote write refused a batch');
    throw err;
  }

  close(): Promise<void> {
    return this.http.close();
  }
}
