/**
 * The alertmanager output: posts the alert processor's events to Alertmanager's v2 API
 * (`POST /api/v2/alerts`), all alerts of a batch in one request. A write goes to the URL that
 * answered last and fails over to the next ones in order; the core retries the batch when none
 * takes it. 400, 413 and 422 reject the batch for good; 429 and 5xx are retried honouring
 * Retry-After. Metrics other than alert events are ignored (and counted). endsAt of a firing
 * alert is relative to the wall clock (Alertmanager's), not to the plugin clock, which follows
 * event time during a replay.
 */
import type { WriteError } from '../../../core/model/errors/errors.ts';
import { answerError, authHeaders, httpStatusError, HttpSender } from '../../../core/lib/http/client.ts';
import { Failover } from '../../../core/lib/http/failover.ts';
import type { Metric } from '../../../core/model/metric/metric.ts';
import type { OutputInstance, PluginContext } from '../../../core/plugin/types.ts';
import { toAlerts, type AlertOptions } from './alerts.ts';
import type { AlertmanagerConfig } from './config.ts';

const API_PATH = 'api/v2/alerts';

/** The alerts endpoint under a base URL (a URL already naming the endpoint is kept). */
export function alertsUrl(base: string): string {
  const u = new URL(base);
  if (u.pathname.replace(/\/+$/, '').endsWith('/' + API_PATH)) return u.toString();
  u.pathname = (u.pathname.endsWith('/') ? u.pathname : u.pathname + '/') + API_PATH;
  return u.toString();
}

/** Maps a failed HTTP status to the WriteError the core understands. */
export function statusError(status: number, body: string, retryAfter: string | undefined): WriteError {
  return httpStatusError('Alertmanager answered', status, body, retryAfter, {
    authHint: 'check the credentials; retrying until they work',
  });
}

/** Authorization and content headers from the config. */
export function requestHeaders(cfg: {
  headers: Record<string, string>;
  token?: string;
  username?: string;
  password?: string;
}): Record<string, string> {
  return { 'content-type': 'application/json', ...cfg.headers, ...authHeaders(cfg) };
}

export class AlertmanagerOutput implements OutputInstance {
  private readonly options: AlertOptions;
  private readonly countIgnored: (n?: number) => void;
  private readonly countSent: (n?: number, attrs?: Record<string, string>) => void;
  private readonly http: HttpSender;
  private readonly failover: Failover;

  constructor(cfg: AlertmanagerConfig, ctx: PluginContext) {
    this.failover = new Failover(cfg.urls.map(alertsUrl), ctx.log, 'alertmanager', 'post');
    this.http = new HttpSender({ tls: cfg, headers: requestHeaders(cfg), timeoutMs: cfg.timeout });
    this.options = {
      externalLabels: cfg.external_labels,
      generatorUrl: cfg.generator_url,
      valueAnnotation: cfg.value_annotation,
      firingEndsAfterMs: cfg.firing_ends_after,
    };
    this.countIgnored = ctx.metrics.counter('ignored', 'metrics that were not alert events, ignored');
    this.countSent = ctx.metrics.counter('alerts', 'alerts posted to Alertmanager, by status');
  }

  connect(): Promise<void> {
    this.http.connect();
    return Promise.resolve();
  }

  async write(metrics: Metric[]): Promise<void> {
    const { alerts, resolved, ignored } = toAlerts(metrics, this.options, Date.now());
    if (ignored > 0) this.countIgnored(ignored);
    if (alerts.length === 0) return;
    const body = JSON.stringify(alerts);
    await this.failover.send((url) => this.post(url, body));
    if (resolved > 0) this.countSent(resolved, { status: 'resolved' });
    if (alerts.length > resolved) this.countSent(alerts.length - resolved, { status: 'firing' });
  }

  /** One server: undefined when it took the alerts. */
  private async post(url: string, body: string): Promise<WriteError | undefined> {
    return answerError(await this.http.send(url, body), statusError);
  }

  close(): Promise<void> {
    return this.http.close();
  }
}
