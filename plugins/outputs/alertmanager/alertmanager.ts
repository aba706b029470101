/**
 * The alertmanager output: posts the alert processor's events to Alertmanager's v2 API
 * (`POST /api/v2/alerts`), all alerts of a batch in one request. A write goes to the URL that
 * answered last and fails over to the next ones in order; the core retries the batch when none
 * takes it. 400, 413 and 422 reject the batch for good; 429 and 5xx are retried honouring
 * Retry-After. Metrics other than alert events are ignored (and counted). endsAt of a firing
 * alert is relative to the wall clock (Alertmanager's), not to the plugin clock, which follows
 * event time during a replay.
 */
import fs from 'node:fs';
import { Agent, request } from 'undici';
import { WriteError, parseRetryAfter } from '../../../core/errors/errors.ts';
import type { Metric } from '../../../core/metric/metric.ts';
import type { OutputInstance, PluginContext } from '../../../core/plugin/types.ts';
import { toAlerts, type AlertOptions } from './alerts.ts';
import type { AlertmanagerConfig } from './config.ts';

const PERMANENT = new Set([400, 413, 422]);
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
  const msg = `Alertmanager answered ${status}${body !== '' ? `: ${body.trim().slice(0, 300)}` : ''}`;
  if (PERMANENT.has(status)) return WriteError.permanent(msg);
  if (status === 401 || status === 403)
    return WriteError.retryable(`${msg} (check the credentials; retrying until they work)`);
  return WriteError.retryable(msg, { retryAfterMs: parseRetryAfter(retryAfter) });
}

/** Authorization and content headers from the config. */
export function requestHeaders(cfg: {
  headers: Record<string, string>;
  token?: string;
  username?: string;
  password?: string;
}): Record<string, string> {
  const h: Record<string, string> = { 'content-type': 'application/json', ...cfg.headers };
  if (cfg.token !== undefined) h.authorization = `Bearer ${cfg.token}`;
  else if (cfg.username !== undefined)
    h.authorization = 'Basic ' + Buffer.from(`${cfg.username}:${cfg.password ?? ''}`).toString('base64');
  return h;
}

export class AlertmanagerOutput implements OutputInstance {
  private readonly cfg: AlertmanagerConfig;
  private readonly ctx: PluginContext;
  private readonly urls: string[];
  private readonly headers: Record<string, string>;
  private readonly options: AlertOptions;
  private readonly countIgnored: (n?: number) => void;
  private readonly countSent: (n?: number, attrs?: Record<string, string>) => void;
  private dispatcher: Agent | undefined;
  /** Index in urls of the server that answered last. */
  private current = 0;

  constructor(cfg: AlertmanagerConfig, ctx: PluginContext) {
    this.cfg = cfg;
    this.ctx = ctx;
    this.urls = cfg.urls.map(alertsUrl);
    this.headers = requestHeaders(cfg);
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
    const { alerts, resolved, ignored } = toAlerts(metrics, this.options, Date.now());
    if (ignored > 0) this.countIgnored(ignored);
    if (alerts.length === 0) return;
    const body = JSON.stringify(alerts);
    const n = this.urls.length;
    let last: WriteError | undefined;
    for (let k = 0; k < n; k++) {
      const index = (this.current + k) % n;
      const err = await this.post(this.urls[index], body);
      if (err === undefined || err.kind !== 'retryable') {
        this.current = index;
        if (err !== undefined) throw err;
        if (resolved > 0) this.countSent(resolved, { status: 'resolved' });
        if (alerts.length > resolved) this.countSent(alerts.length - resolved, { status: 'firing' });
        return;
      }
      last = err;
      if (n > 1)
        this.ctx.log.warn(
          { url: this.urls[index], err: err.message },
          'alertmanager post failed; trying the next url',
        );
    }
    throw last ?? WriteError.retryable('no alertmanager url');
  }

  /** One server: undefined when it took the alerts. */
  private async post(url: string, body: string): Promise<WriteError | undefined> {
    try {
      const res = await request(url, {
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
        `request to ${new URL(url).host} failed: ${e instanceof Error ? e.message : String(e)}`,
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
