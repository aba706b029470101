/**
 * The webhook output: posts alert events as Alertmanager webhook notifications, one request per
 * group of alerts in a batch. When a notification fails, the events of the groups not delivered
 * are retried (or dropped, on 400, 413 and 422) while the delivered ones count as written.
 * Metrics other than alert events are ignored (and counted).
 */
import fs from 'node:fs';
import { Agent, request } from 'undici';
import { WriteError, parseRetryAfter, type RejectedMetric } from '../../../core/errors/errors.ts';
import type { Metric } from '../../../core/metric/metric.ts';
import type { OutputInstance, PluginContext } from '../../../core/plugin/types.ts';
import type { WebhookConfig } from './config.ts';
import { notifications, type GroupOptions } from './payload.ts';

const PERMANENT = new Set([400, 413, 422]);

/** Maps a failed HTTP status to the WriteError the core understands. */
export function statusError(status: number, body: string, retryAfter: string | undefined): WriteError {
  const msg = `webhook answered ${status}${body !== '' ? `: ${body.trim().slice(0, 300)}` : ''}`;
  if (PERMANENT.has(status)) return WriteError.permanent(msg);
  return WriteError.retryable(msg, { retryAfterMs: parseRetryAfter(retryAfter) });
}

export class WebhookOutput implements OutputInstance {
  private readonly cfg: WebhookConfig;
  private readonly headers: Record<string, string>;
  private readonly options: GroupOptions;
  private readonly countIgnored: (n?: number) => void;
  private readonly countSent: (n?: number, attrs?: Record<string, string>) => void;
  private dispatcher: Agent | undefined;

  constructor(cfg: WebhookConfig, ctx: PluginContext) {
    this.cfg = cfg;
    const h: Record<string, string> = { 'content-type': 'application/json', ...cfg.headers };
    if (cfg.token !== undefined) h.authorization = `Bearer ${cfg.token}`;
    else if (cfg.username !== undefined)
      h.authorization = 'Basic ' + Buffer.from(`${cfg.username}:${cfg.password ?? ''}`).toString('base64');
    this.headers = h;
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
    this.agent();
    return Promise.resolve();
  }

  private agent(): Agent {
    this.dispatcher ??= new Agent({
      connect: {
        rejectUnauthorized: !this.cfg.insecure_skip_verify,
        ca: this.cfg.tls_ca !== undefined ? fs.readFileSync(this.cfg.tls_ca) : undefined,
        cert: this.cfg.tls_cert !== undefined ? fs.readFileSync(this.cfg.tls_cert) : undefined,
        key: this.cfg.tls_key !== undefined ? fs.readFileSync(this.cfg.tls_key) : undefined,
      },
    });
    return this.dispatcher;
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
    try {
      const res = await request(this.cfg.url, {
        method: 'POST',
        headers: this.headers,
        body,
        dispatcher: this.agent(),
        signal: AbortSignal.timeout(this.cfg.timeout),
      });
      const text = await res.body.text();
      if (res.statusCode >= 200 && res.statusCode < 300) return undefined;
      const ra = res.headers['retry-after'];
      return statusError(res.statusCode, text, Array.isArray(ra) ? ra[0] : ra);
    } catch (e) {
      return WriteError.retryable(
        `request to ${new URL(this.cfg.url).host} failed: ${e instanceof Error ? e.message : String(e)}`,
        { cause: e },
      );
    }
  }

  async close(): Promise<void> {
    const d = this.dispatcher;
    this.dispatcher = undefined;
    await d?.close();
  }
}
