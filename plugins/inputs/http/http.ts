/**
 * The http input: polls each url on every gather and parses the body as line protocol or as
 * arbitrary JSON (Telegraf's json parser options). One batch per url; bad records are rejected
 * with their line or record number; a failed request or an unexpected status fails the gather.
 */
import type { Parser } from '../../../core/format/types.ts';
import { recordParser } from '../../../core/lib/listen/format.ts';
import { HttpPoller, pollAll, pollerOptions } from '../../../core/lib/listen/http-client.ts';
import type { Accumulator, InputInstance, PluginContext } from '../../../core/plugin/types.ts';
import type { HttpInputConfig } from './config.ts';
import { redactUrl } from '../../../core/model/redact.ts';

export class HttpInput implements InputInstance {
  private readonly cfg: HttpInputConfig;
  private readonly ctx: PluginContext;
  private readonly http: HttpPoller;
  private readonly parser: Parser;

  constructor(cfg: HttpInputConfig, ctx: PluginContext) {
    this.cfg = cfg;
    this.ctx = ctx;
    this.http = new HttpPoller(pollerOptions(cfg));
    this.parser = recordParser(cfg.data_format, cfg.precision, { ...cfg, measurement: 'http' });
  }

  async gather(acc: Accumulator): Promise<void> {
    await pollAll(this.cfg.urls, (url) => this.poll(url, acc), 'request');
  }

  private async poll(url: string, acc: Accumulator): Promise<void> {
    const res = await this.http.fetch(url, {
      method: this.cfg.method,
      body: this.cfg.body === '' ? undefined : this.cfg.body,
    });
    if (!this.cfg.success_status_codes.includes(res.status)) {
      throw new Error(`HTTP ${res.status}: ${res.body.toString('utf8', 0, Math.min(res.body.length, 200))}`);
    }
    const { metrics, errors } = this.parser.parse(res.body, { defaultTime: [this.ctx.clock.now(), 0] });
    if (errors.length > 0) {
      acc.reject(
        `invalid ${this.cfg.data_format === 'json' ? 'JSON' : 'line protocol'} response`,
        { url: redactUrl(url), lines: errors.slice(0, 10).map((e) => e.line), first: errors[0].message },
        errors.length,
      );
    }
    if (metrics.length === 0) return;
    const tag = this.cfg.url_tag;
    if (tag !== '') for (const m of metrics) m.tags[tag] = url;
    acc.push(metrics);
  }

  async stop(): Promise<void> {
    await this.http.close();
  }
}
