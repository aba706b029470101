/**
 * The internal input: VIVA's own self-metrics (per-plugin counters, buffer sizes, latencies)
 * plus process memory, as metrics in the pipeline, like Telegraf's internal input.
 */
import { Metric } from '../../../core/model/metric/metric.ts';
import type { Accumulator, InputInstance, PluginContext } from '../../../core/plugin/types.ts';

export class Internal implements InputInstance {
  private readonly ctx: PluginContext;
  private readonly collectMemstats: boolean;

  constructor(collectMemstats: boolean, ctx: PluginContext) {
    this.ctx = ctx;
    this.collectMemstats = collectMemstats;
  }

  async gather(acc: Accumulator): Promise<void> {
    const metrics = await this.ctx.selfMetrics();
    if (this.collectMemstats) {
      const mem = process.memoryUsage();
      const m = new Metric('viva_process', {}, {}, this.ctx.clock.now());
      m.setInt('rss_bytes', mem.rss);
      m.setInt('heap_used_bytes', mem.heapUsed);
      m.setInt('heap_total_bytes', mem.heapTotal);
      m.setInt('external_bytes', mem.external);
      m.setField('uptime_seconds', process.uptime());
      metrics.push(m);
    }
    acc.push(metrics);
  }
}
