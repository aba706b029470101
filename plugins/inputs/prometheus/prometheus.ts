/**
 * The prometheus input: scrapes exposition text from each url on every gather and pushes one
 * batch per url. Bad lines are rejected with their line numbers; the rest of the scrape is kept.
 */
import { HttpPoller, pollAll, pollerOptions } from '../../../core/lib/listen/http-client.ts';
import type { Accumulator, InputInstance, PluginContext } from '../../../core/plugin/types.ts';
import type { PrometheusConfig } from './config.ts';
import { parseExposition } from './exposition.ts';
import { samplesToMetrics } from './metrics.ts';
import { redactUrl } from '../../../core/model/redact.ts';

const ACCEPT = 'text/plain;version=0.0.4;q=0.9,*/*;q=0.1';

export class PrometheusInput implements InputInstance {
  private readonly cfg: PrometheusConfig;
  private readonly ctx: PluginContext;
  private readonly http: HttpPoller;

  constructor(cfg: PrometheusConfig, ctx: PluginContext) {
    this.cfg = cfg;
    this.ctx = ctx;
    this.http = new HttpPoller(pollerOptions(cfg, { accept: ACCEPT, ...cfg.headers }));
  }

  async gather(acc: Accumulator): Promise<void> {
    await pollAll(this.cfg.urls, (url) => this.scrape(url, acc), 'scrape');
  }

  private async scrape(url: string, acc: Accumulator): Promise<void> {
    const res = await this.http.fetch(url);
    if (res.status < 200 || res.status > 299) throw new Error(`HTTP ${res.status}`);
    const exp = parseExposition(res.body.toString('utf8'));
    if (exp.errors.length > 0) {
      const lines = exp.errors.map((e) => e.line);
      acc.reject(
        'invalid exposition line',
        { url: redactUrl(url), lines: lines.slice(0, 20), first: exp.errors[0] },
        exp.errors.length,
      );
    }
    const tags: Record<string, string> =
      this.cfg.url_tag === '' ? {} : { [this.cfg.url_tag]: redactUrl(url) };
    const metrics = samplesToMetrics(exp.samples, {
      measurement: this.cfg.measurement,
      tags,
      nowMs: this.ctx.clock.now(),
    });
    if (metrics.length > 0) acc.push(metrics);
  }

  async stop(): Promise<void> {
    await this.http.close();
  }
}
