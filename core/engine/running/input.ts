/**
 * RunningInput: schedules gathers (interval, alignment, jitter, timeout, overlap detection),
 * starts and stops service inputs, and applies the input's renames, tags and filters to
 * everything it produces before handing it to the pipeline.
 */
import type { Logger } from 'pino';
import type { InputCommon } from '../../config/schema.ts';
import { applyFilter, compileFilter, type CompiledFilter } from '../filter/filter.ts';
import type { Metric } from '../../model/metric/metric.ts';
import type { Accumulator, AckCallback, InputInstance, PluginId } from '../../plugin/types.ts';
import type { InputStats } from './stats.ts';
import { LogThrottle } from '../telemetry/log-throttle.ts';

/** Where a running input sends its batches: returns false while the pipeline is saturated. */
export interface InputSink {
  push(metrics: Metric[], ack: AckCallback | undefined): boolean;
  readonly saturated: boolean;
  waitForCapacity(): Promise<void>;
  /** True when acks fire once the batch is durably stored, promptly (see Accumulator.durableAcks). */
  readonly durableAcks?: boolean;
}

export interface RunningInputOptions {
  id: PluginId;
  common: InputCommon;
  intervalMs: number;
  roundInterval: boolean;
  jitterMs: number;
  /** Tags added to every metric unless the metric already has the key (global tags, host). */
  defaultTags: Record<string, string>;
  instance: InputInstance;
  log: Logger;
  stats: InputStats;
  signal: AbortSignal;
}

export class RunningInput {
  readonly id: PluginId;
  readonly instance: InputInstance;
  private readonly opts: RunningInputOptions;
  private readonly filter: CompiledFilter;
  private readonly tags: [string, string][];
  private sink: InputSink;
  private timer: NodeJS.Timeout | undefined;
  private gathering: Promise<void> | null = null;
  /** True while a scheduled gather runs: what it pushes into a full pipeline waits here. */
  private inGather = false;
  /** Batches a gather pushed while the pipeline was saturated, sent once it has room. */
  private held: { metrics: Metric[]; ack: AckCallback | undefined }[] = [];
  private stopped = false;
  private readonly stopping = new AbortController();
  private readonly skipLog: LogThrottle;
  readonly accumulator: Accumulator;
  /** A flood of bad input is counted in full but logged once per reason and interval. */
  private readonly rejectLog: LogThrottle;
  /** A gather that keeps failing (a database down) is counted every time, logged once per interval. */
  private readonly errorLog: LogThrottle;

  constructor(opts: RunningInputOptions, sink: InputSink) {
    this.opts = opts;
    this.id = opts.id;
    this.instance = opts.instance;
    this.sink = sink;
    this.rejectLog = new LogThrottle(opts.log);
    this.skipLog = new LogThrottle(opts.log);
    this.errorLog = new LogThrottle({ warn: (fields, msg) => opts.log.error(fields, msg) });
    this.filter = compileFilter(opts.common);
    this.tags = Object.entries({ ...opts.defaultTags, ...(opts.common.tags ?? {}) });
    const sinkOf = (): InputSink => this.sink;
    this.accumulator = {
      push: (metrics, ack) => this.push(metrics, ack),
      reject: (reason, detail, count = 1) => {
        this.opts.stats.rejected(count, reason);
        this.rejectLog.warn(reason, { reason, count, ...detail }, 'input rejected bad data', count);
      },
      get saturated() {
        return sinkOf().saturated;
      },
      get durableAcks() {
        return sinkOf().durableAcks === true;
      },
      waitForCapacity: () => this.sink.waitForCapacity(),
    };
  }

  /** Replaces the sink (live reload keeps a running input and rewires it). */
  rewire(sink: InputSink): void {
    this.sink = sink;
  }

  private decorate(metrics: Metric[]): void {
    const c = this.opts.common;
    const rename =
      c.name_override !== undefined || c.name_prefix !== undefined || c.name_suffix !== undefined;
    const tags = this.tags;
    for (const m of metrics) {
      if (rename) m.name = (c.name_prefix ?? '') + (c.name_override ?? m.name) + (c.name_suffix ?? '');
      for (let i = 0; i < tags.length; i++) {
        const [k, v] = tags[i];
        if (!(k in m.tags)) m.tags[k] = v;
      }
    }
  }

  private push(metrics: Metric[], ack: AckCallback | undefined): boolean {
    if (metrics.length === 0) {
      ack?.(true);
      return !this.sink.saturated;
    }
    this.decorate(metrics);
    const { kept, dropped } = applyFilter(this.filter, metrics, false);
    this.opts.stats.gathered(kept.length);
    if (dropped > 0 && kept.length === 0) {
      ack?.(true);
      return !this.sink.saturated;
    }
    if (this.inGather && (this.held.length > 0 || this.sink.saturated)) {
      this.held.push({ metrics: kept, ack });
      return false;
    }
    return this.sink.push(kept, ack);
  }

  /**
   * Sends what a gather pushed into a saturated pipeline, one batch each time there is room (so
   * a buffer in block mode grows by at most one batch past its limit). On stop, sends the rest
   * at once: the outputs count what they cannot take.
   */
  private async sendHeld(): Promise<void> {
    while (this.held.length > 0) {
      while (this.sink.saturated && !this.stopping.signal.aborted) await this.capacityOrStop();
      const b = this.held.shift() as { metrics: Metric[]; ack: AckCallback | undefined };
      this.sink.push(b.metrics, b.ack);
    }
  }

  private capacityOrStop(): Promise<void> {
    const signal = this.stopping.signal;
    return new Promise((resolve) => {
      const done = (): void => {
        signal.removeEventListener('abort', done);
        resolve();
      };
      signal.addEventListener('abort', done, { once: true });
      this.sink.waitForCapacity().then(done, done);
    });
  }

  /** Starts a service input and the gather schedule of a polling input. */
  async start(): Promise<void> {
    if (this.instance.start !== undefined) await this.instance.start(this.accumulator);
    if (this.instance.gather !== undefined) this.scheduleNext();
  }

  private scheduleNext(): void {
    if (this.stopped) return;
    const interval = this.opts.intervalMs;
    const now = Date.now();
    const base = this.opts.roundInterval ? interval - (now % interval) : interval;
    const jitter = this.opts.jitterMs > 0 ? Math.random() * this.opts.jitterMs : 0;
    this.timer = setTimeout(() => this.tick(), base + jitter);
  }

  private tick(): void {
    this.timer = undefined;
    if (this.gathering !== null) {
      this.opts.stats.overlap();
      this.opts.log.warn(
        { intervalMs: this.opts.intervalMs },
        'previous gather still running; skipping this one',
      );
    } else if (this.sink.saturated) {
      // Back-pressure (when_full = "block"): gathering now would only grow a full buffer.
      this.opts.stats.skipped();
      this.skipLog.warn(
        'saturated',
        { intervalMs: this.opts.intervalMs },
        'an output buffer is full (when_full = "block"); skipping this gather',
      );
    } else {
      this.gathering = this.gatherOnce().finally(() => {
        this.gathering = null;
      });
    }
    this.scheduleNext();
  }

  /** One gather with the input's timeout; errors are counted and logged, never thrown. */
  async gatherOnce(): Promise<void> {
    const gather = this.instance.gather;
    if (gather === undefined) return;
    const timeoutMs = this.opts.common.timeout ?? this.opts.intervalMs;
    const start = performance.now();
    let t: NodeJS.Timeout | undefined;
    this.inGather = true;
    try {
      await Promise.race([
        Promise.resolve().then(() => gather.call(this.instance, this.accumulator)),
        new Promise<never>((_, reject) => {
          t = setTimeout(() => reject(new Error(`gather timed out after ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } catch (e) {
      this.opts.stats.error();
      const err = e instanceof Error ? e.message : String(e);
      this.errorLog.warn('gather', { err }, 'gather failed');
    } finally {
      this.inGather = false;
      clearTimeout(t);
      this.opts.stats.gatherTime((performance.now() - start) / 1000);
    }
    await this.sendHeld();
  }

  /** Stops scheduling, waits for a running gather, then stops the plugin. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.stopping.abort();
    if (this.gathering !== null) await this.gathering;
    if (this.instance.stop !== undefined) {
      try {
        await this.instance.stop();
      } catch (e) {
        this.opts.log.warn({ err: e instanceof Error ? e.message : String(e) }, 'input stop failed');
      }
    }
  }
}
