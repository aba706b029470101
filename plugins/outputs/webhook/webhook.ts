/**
 * The webhook output: posts alert events as Alertmanager webhook notifications, one request per
 * group of alerts in a batch. When a notification fails, the events of the groups not delivered
 * are retried (or dropped, on 400, 413 and 422) while the delivered ones count as written.
 * Metrics other than alert events are ignored (and counted).
 */
import { WriteError, type RejectedMetric } from '../../../core/model/errors/errors.ts';
import { answerError, authHeaders, httpStatusError, HttpSender } from '../../../core/lib/http/client.ts';
import type { Metric } from '../../../core/model/metric/metric.ts';
import type { OutputInstance, PluginContext } from '../../../core/plugin/types.ts';
import type { WebhookConfig } from './config.ts';
import { notifications, type GroupOptions } from './payload.ts';

/** Maps a failed HTTP status to the WriteError the core understands. */
export function statusError(status: number, body: string, retryAfter: string | undefined): WriteError {
  return httpStatusError('webhook answered', status, body, retryAfter);
}

export class WebhookOutput implements OutputInstance {
  private readonly url: string;
  private readonly options: GroupOptions;
  private readonly countIgnored: (n?: number) => void;
  private readonly countSent: (n?: number, attrs?: Record<string, string>) => void;
  private readonly http: HttpSender;

  constructor(cfg: WebhookConfig, ctx: PluginContext) {
    this.url = cfg.url;
    const headers = { 'content-type': 'application/json', ...cfg.headers, ...authHeaders(cfg) };
    this.http = new HttpSender({ tls: cfg, headers, timeoutMs: cfg.timeout });
    this.options = {
      receiver: cfg.receiver,
      externalUrl: cfg.external_url,
      groupBy: cfg.group_by,
      sendResolved: cfg.send_resolved,
      maxAlerts: cfg.max_alerts,
    };
    this.countIgnored = ctx.metrics.counter('ignored', 'metrics that were not alert events, ignored');
    this.countSent = ctx.metrics.counter('notifications', 'notifications posted, by status');
  }

  connect(): Promise<void> {
    this.http.connect();
    return Promise.resolve();
  }

  async write(metrics: Metric[]): Promise<void> {
    const groups = notifications(metrics, this.options);
    let alerting = 0;
    for (const g of groups) alerting += g.indices.length;
    const ignored = metrics.filter((m) => m.name !== 'alert').length;
    if (ignored > 0) this.countIgnored(ignored);
    if (alerting === 0) return;
    const rejected: RejectedMetric[] = [];
    const retry = new Set<number>();
    let delivered = 0;
    let first: WriteError | undefined;
    let retryAfterMs: number | undefined;
    for (const g of groups) {
      // After a retryable failure the rest waits for the retry, in order.
      if (retry.size > 0) {
        for (const i of g.indices) retry.add(i);
        continue;
      }
      const err = await this.post(JSON.stringify(g.message));
      if (err === undefined) {
        delivered++;
        this.countSent(1, { status: g.message.status });
        continue;
      }
      first ??= err;
      if (err.kind === 'permanent')
        for (const i of g.indices) rejected.push({ index: i, reason: err.message });
      else {
        for (const i of g.indices) retry.add(i);
        retryAfterMs = err.retryAfterMs;
      }
    }
    if (first === undefined) return;
    if (delivered === 0 && rejected.length === 0) throw first;
    if (delivered === 0 && retry.size === 0) throw WriteError.permanent(first.message);
    throw WriteError.partial(first.message, { rejected, retry: [...retry], retryAfterMs });
  }

  /** One notification: undefined when delivered. */
  private async post(body: string): Promise<WriteError | undefined> {
    return answerError(await this.http.send(this.url, body), statusError);
  }

  close(): Promise<void> {
    return this.http.close();
  }
}
