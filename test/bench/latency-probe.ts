/**
 * The latency probe: a bench-only output plugin (loaded as an external plugin) that writes
 * nothing, like discard, but reads each metric's timestamp — the load generator's send stamp —
 * and records (now - stamp), so end-to-end latency is measured at the output without the cost
 * of serializing. It posts the histogram's new buckets to the bench's sink every 200 ms.
 */
import { z } from 'zod';
import type { Metric } from '../../core/model/metric/metric.ts';
import { defineOutput } from '../../core/plugin/define.ts';
import { LogHistogram } from './histogram.ts';

const config = z.strictObject({
  url: z.string().describe('Where to post histogram buckets (the bench sink /histogram).'),
});

/** Posts at most this often, so the probe costs the agent next to nothing. */
const POST_EVERY_MS = 200;

class LatencyProbe {
  private readonly url: string;
  private readonly h = new LogHistogram();
  private lastPost = 0;

  constructor(url: string) {
    this.url = url;
  }

  async write(metrics: Metric[]): Promise<void> {
    const now = performance.timeOrigin + performance.now();
    const h = this.h;
    for (let i = 0; i < metrics.length; i++) {
      const m = metrics[i];
      h.record(now - (m.timeMs + m.timeNs / 1e6));
    }
    if (now - this.lastPost >= POST_EVERY_MS) this.post(now);
  }

  private post(now: number): void {
    this.lastPost = now;
    const body = JSON.stringify({ buckets: this.h.buckets(), max: this.h.max });
    this.h.reset();
    // Fire and forget: the write is done; a lost post only loses samples, reported by count.
    fetch(this.url, { method: 'POST', body }).then(
      (r) => r.body?.cancel(),
      () => undefined,
    );
  }

  async close(): Promise<void> {
    if (this.h.count > 0) this.post(performance.timeOrigin + performance.now());
  }
}

export const latencyProbeOutput = defineOutput({
  name: 'latency_probe',
  description: 'Bench only: records (now - metric time) of every metric and posts it to the bench',
  config,
  create: (cfg) => new LatencyProbe(cfg.url),
});
