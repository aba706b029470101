/**
 * RunningProcessor: applies a processor to the metrics its filter selects (the rest pass by
 * untouched; as in Telegraf, the modifiers fieldinclude/fieldexclude/taginclude/tagexclude trim the
 * selected metrics before the processor sees them, and one left without fields is dropped), records
 * its self-metrics, and turns a processor failure into a logged, counted pass-through instead of a
 * lost batch.
 *
 * It also owns the time of a processor that has `tick`: the processor's clock (`wall` or `event`,
 * see ProcessorInstance), passed to process() and tick(), and the one timer that calls tick() every
 * `tickInterval` (unref'd; the next tick is scheduled only once the previous one has finished).
 */
import type { Logger } from 'pino';
import type { ProcessorCommon } from '../../config/schema.ts';
import { compileFilter, type CompiledFilter } from '../filter/filter.ts';
import type { Metric } from '../../model/metric/metric.ts';
import { systemClock } from '../../plugin/context.ts';
import type { Clock, Emit, PluginId, ProcessorInstance } from '../../plugin/types.ts';
import type { ProcessorStats } from './stats.ts';

export class RunningProcessor {
  readonly id: PluginId;
  readonly instance: ProcessorInstance;
  private readonly filter: CompiledFilter;
  private readonly log: Logger;
  private readonly stats: ProcessorStats;
  private readonly clock: Clock;
  private readonly eventTime: boolean;
  /** Whether the processor has a time of its own (a tick): only then is the watermark kept. */
  private readonly timed: boolean;
  /** Newest metric time (ms) that reached this processor, filtered out or not. */
  private watermark = -Infinity;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | null = null;
  private emit: Emit | undefined;

  constructor(opts: {
    id: PluginId;
    common: ProcessorCommon;
    instance: ProcessorInstance;
    log: Logger;
    stats: ProcessorStats;
    /** The agent's clock (the replay clock in a replay); the system clock when absent. */
    clock?: Clock;
    /** Aborted when the instance stops: the timer stops with it. */
    signal?: AbortSignal;
  }) {
    this.id = opts.id;
    this.instance = opts.instance;
    this.filter = compileFilter(opts.common);
    this.log = opts.log;
    this.stats = opts.stats;
    this.clock = opts.clock ?? systemClock;
    this.eventTime = opts.common.clock === 'event';
    this.timed = opts.instance.tick !== undefined;
    opts.signal?.addEventListener('abort', () => this.halt(), { once: true });
  }

  /**
   * The processor's time in ms since the epoch: the newest metric time seen (`event`), or the later
   * of that and the clock (`wall`). -Infinity in event time before the first metric.
   */
  now(): number {
    return this.eventTime ? this.watermark : Math.max(this.clock.now(), this.watermark);
  }

  /**
   * Starts the tick timer of a processor with `tick` and a positive `tickInterval`; what a tick
   * returns goes to `emit` (the chain after this processor). A no-op for any other processor.
   */
  startTicking(emit: Emit): void {
    const every = this.instance.tickInterval ?? 0;
    if (!this.timed || !(every > 0) || this.emit !== undefined) return;
    this.emit = emit;
    this.schedule(every);
  }

  /** Stops the timer and waits for a tick in progress, so stop() never runs beside a tick. */
  async stopTicking(): Promise<void> {
    this.halt();
    await this.ticking;
  }

  private halt(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.emit = undefined;
  }

  private schedule(every: number): void {
    if (this.emit === undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.ticking = this.tick().finally(() => {
        this.ticking = null;
        this.schedule(every);
      });
    }, every);
    this.timer.unref();
  }

  /** One tick: a failure is logged and counted, and the timer goes on. */
  private async tick(): Promise<void> {
    const tick = this.instance.tick;
    // Taken now: what a tick in progress when the timer stops returns still goes down the chain.
    const emit = this.emit;
    const now = this.now();
    // Event time has not started yet: there is nothing for time to move.
    if (tick === undefined || emit === undefined || now === -Infinity) return;
    try {
      const out = await tick.call(this.instance, now);
      if (out.length === 0) return;
      this.stats.processed(0, out.length);
      emit(out);
    } catch (e) {
      this.stats.error();
      this.log.error({ err: e instanceof Error ? e.message : String(e) }, 'processor tick failed');
    }
  }

  /** Moves the watermark to the newest metric of a batch. */
  private observe(metrics: Metric[]): void {
    let newest = this.watermark;
    for (let i = 0; i < metrics.length; i++) if (metrics[i].timeMs > newest) newest = metrics[i].timeMs;
    this.watermark = newest;
  }

  /** Processes a batch; the result may be a promise only when the processor is asynchronous. */
  process(metrics: Metric[]): Metric[] | Promise<Metric[]> {
    if (this.timed) this.observe(metrics);
    let selected = metrics;
    let bypass: Metric[] | null = null;
    // What a failure passes on: the batch less the metrics the modifiers left without fields.
    let all = metrics;
    if (this.filter.active) {
      selected = [];
      bypass = [];
      const trim = this.filter.modifies;
      let trimmedAway = 0;
      for (const m of metrics) {
        if (!this.filter.select(m)) bypass.push(m);
        else if (!trim || this.filter.trim(m)) selected.push(m);
        else trimmedAway++;
      }
      if (trimmedAway > 0) all = selected.concat(bypass);
      if (selected.length === 0) return all;
    }
    // Counted before the call: a processor may filter the array it is given in place.
    const inCount = selected.length;
    let out: Metric[] | Promise<Metric[]>;
    try {
      out = this.timed ? this.instance.process(selected, this.now()) : this.instance.process(selected);
    } catch (e) {
      return this.failed(e, all);
    }
    if (out instanceof Promise) {
      return out.then(
        (r) => this.done(inCount, r, bypass),
        (e: unknown) => this.failed(e, all),
      );
    }
    return this.done(inCount, out, bypass);
  }

  private done(inCount: number, out: Metric[], bypass: Metric[] | null): Metric[] {
    this.stats.processed(inCount, out.length);
    if (bypass === null || bypass.length === 0) return out;
    return out.length === 0 ? bypass : out.concat(bypass);
  }

  private failed(e: unknown, metrics: Metric[]): Metric[] {
    this.stats.error();
    this.log.error(
      { err: e instanceof Error ? e.message : String(e), count: metrics.length },
      'processor failed; batch passed on unchanged',
    );
    return metrics;
  }
}
