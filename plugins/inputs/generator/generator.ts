/**
 * The generator input: synthetic metrics for demos, tests and benchmarks. Every metric carries a
 * `seq` integer field, unique and increasing per instance, so a test can check that each one
 * arrives exactly once. At a set rate it paces itself by the clock and honours backpressure.
 */
import { Metric } from '../../../core/model/metric/metric.ts';
import type { Accumulator, InputInstance, PluginContext } from '../../../core/plugin/types.ts';
import type { GeneratorConfig } from './config.ts';

const TICK_MS = 10;

export class Generator implements InputInstance {
  private readonly cfg: GeneratorConfig;
  private readonly ctx: PluginContext;
  private readonly seriesTags: Record<string, string>[];
  private readonly fieldKeys: string[];
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  private startedAt = 0;
  private produced = 0;

  constructor(cfg: GeneratorConfig, ctx: PluginContext) {
    this.cfg = cfg;
    this.ctx = ctx;
    this.fieldKeys = Array.from({ length: cfg.field_count }, (_, i) => `value${i}`);
    this.seriesTags = Array.from({ length: cfg.series }, (_, s) => {
      const t: Record<string, string> = { series: `s${s}` };
      for (let k = 0; k < cfg.tag_count; k++)
        t[`tag${k}`] = `v${(s * 7 + k * 13) % Math.max(1, Math.min(cfg.series, 50))}`;
      return t;
    });
  }

  private done(): boolean {
    return this.cfg.total > 0 && this.seq >= this.cfg.total;
  }

  /** Builds up to n metrics. */
  private make(n: number): Metric[] {
    const out: Metric[] = [];
    const now = this.ctx.clock.now();
    const keys = this.fieldKeys;
    for (let i = 0; i < n && !this.done(); i++) {
      const s = this.seq % this.seriesTags.length;
      // The sub-millisecond part comes from seq, so no two metrics of a series share a timestamp
      // (a store such as InfluxDB would keep only one of them).
      const ns = this.seq % 1_000_000;
      const fields: Record<string, number> = { seq: this.seq };
      // An injected anomaly: the series' Nth sample jumps far out of the wave's 0..100.
      const every = this.cfg.anomaly_every;
      const spike =
        every > 0 && Math.floor(this.seq / this.seriesTags.length) % every === every - 1 ? 400 : 0;
      for (let f = 0; f < keys.length; f++) fields[keys[f]] = Math.sin((this.seq + f) / 50) * 50 + 50 + spike;
      this.seq++;
      out.push(new Metric(this.cfg.name, { ...this.seriesTags[s] }, fields, now, ns, { seq: 'int' }));
    }
    return out;
  }

  gather(acc: Accumulator): void {
    if (this.cfg.rate > 0 || this.done()) return;
    const batch = this.make(this.seriesTags.length);
    if (batch.length > 0) acc.push(batch);
  }

  start(acc: Accumulator): void {
    if (this.cfg.rate <= 0) return;
    this.startedAt = this.ctx.clock.monotonic();
    const loop = (): void => {
      this.timer = undefined;
      if (this.ctx.signal.aborted || this.done()) return;
      const due =
        Math.floor(((this.ctx.clock.monotonic() - this.startedAt) / 1000) * this.cfg.rate) - this.produced;
      let left = Math.min(due, this.cfg.rate);
      let open = true;
      while (left > 0 && open && !this.done()) {
        const batch = this.make(Math.min(left, this.cfg.batch_size));
        left -= batch.length;
        this.produced += batch.length;
        open = acc.push(batch);
      }
      if (!open) {
        acc.waitForCapacity().then(loop, () => undefined);
        return;
      }
      // Behind by more than a second (e.g. after backpressure): do not burst to catch up.
      if (due > this.cfg.rate) this.produced += due - this.cfg.rate;
      this.timer = setTimeout(loop, TICK_MS);
    };
    loop();
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
  }
}
