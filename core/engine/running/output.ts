/**
 * RunningOutput: owns an output's buffer, flush schedule, batching, retries, timeouts and
 * self-metrics. One write is in flight per output, or up to the output's declared
 * `maxConcurrentWrites` (batches taken in order, the next written while earlier ones await their
 * answer; the buffer removes a batch once every older one is acknowledged too, and a failed one
 * is retried); a slow or dead output only fills its own buffer, never stalls the pipeline (unless
 * when_full = block, which pushes back to the sources).
 */
import type { Logger } from 'pino';
import { sleep } from '../sleep.ts';
import type { OutputCommon } from '../../config/schema.ts';
import { ErrorCode } from '../../model/errors/codes.ts';
import { WriteError } from '../../model/errors/errors.ts';
import type { BufferBatch, HandedOver, OutputBuffer } from '../buffer/types.ts';
import { MemoryBuffer } from '../buffer/memory.ts';
import { compileFilter, type CompiledFilter } from '../filter/filter.ts';
import type { Metric } from '../../model/metric/metric.ts';
import { Delivery } from '../pipeline/delivery.ts';
import type { OutputInstance, PluginId } from '../../plugin/types.ts';
import { backoffDelay } from './backoff.ts';
import type { OutputStats } from './stats.ts';
import { LogThrottle } from '../telemetry/log-throttle.ts';

export interface RunningOutputOptions {
  id: PluginId;
  common: OutputCommon;
  batchSize: number;
  bufferLimit: number;
  flushIntervalMs: number;
  flushJitterMs: number;
  instance: OutputInstance;
  log: Logger;
  stats: OutputStats;
  /** A ready buffer (disk buffers are opened by the builder); memory when absent. */
  buffer?: OutputBuffer;
  /** Called when the buffer goes from full to not full (block mode), so sources resume. */
  onCapacity?: () => void;
}

/** One output's state on /health. */
export interface OutputHealth {
  output: string;
  state: 'ok' | 'failing' | 'degraded';
  buffered: number;
  failingForSeconds?: number;
  code?: string;
  error?: string;
}

export class RunningOutput {
  readonly id: PluginId;
  readonly filter: CompiledFilter;
  readonly buffer: OutputBuffer;
  readonly instance: OutputInstance;
  private readonly opts: RunningOutputOptions;
  private readonly log: Logger;
  private readonly dropLog: LogThrottle;
  private readonly stats: OutputStats;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | null = null;
  /** A retry came due while the write loop still awaited other writes: write again when it ends. */
  private retryDue = false;
  /** Writes the output takes at once (its maxConcurrentWrites, at least 1). */
  private readonly maxWrites: number;
  /** Metrics of the batches being written now. */
  private inFlight = 0;
  private attempt = 0;
  private retryAt = 0;
  private stopping = new AbortController();
  private closed = false;
  private wasFull = false;
  /** Monotonic time of the first failed write since the last delivered one; undefined when fine. */
  private failingSince: number | undefined;
  /** The last write error (code and message), kept until a write succeeds. */
  private lastError: { code: string; message: string } | undefined;
  /** Monotonic time the oldest unwritten batch entered, for pipeline latency. */
  private readonly arrivals: { at: number; count: number }[] = [];

  constructor(opts: RunningOutputOptions) {
    this.opts = opts;
    this.id = opts.id;
    this.instance = opts.instance;
    this.log = opts.log;
    this.dropLog = new LogThrottle(opts.log);
    this.stats = opts.stats;
    this.filter = compileFilter(opts.common);
    this.maxWrites = Math.max(1, Math.floor(opts.instance.maxConcurrentWrites ?? 1));
    this.buffer =
      opts.buffer ??
      new MemoryBuffer({
        limit: opts.bufferLimit,
        maxBytes: opts.common.buffer_max_bytes,
        whenFull: opts.common.when_full,
        onDrop: (n, reason) => this.dropped(n, reason),
      });
  }

  private dropped(n: number, reason: string): void {
    this.stats.dropped(n, reason);
    // Overload drops on every push: counted in full, logged once per reason and interval.
    this.dropLog.warn(reason, { count: n, reason }, 'output dropped metrics', n);
  }

  /**
   * The output's state for /health: `ok` while writes succeed (or none failed yet), `failing`
   * while writes have been failing (and are retried) for less than `degradedAfterMs`, `degraded`
   * after that. `code` is the last error's code; `error` its message (for authorized callers).
   */
  health(degradedAfterMs: number): OutputHealth {
    const h: OutputHealth = { output: this.id.label, state: 'ok', buffered: this.buffer.length };
    if (this.failingSince !== undefined) {
      const ms = performance.now() - this.failingSince;
      h.state = ms >= degradedAfterMs ? 'degraded' : 'failing';
      h.failingForSeconds = Math.round(ms / 100) / 10;
    }
    if (this.lastError !== undefined) {
      h.code = this.lastError.code;
      h.error = this.lastError.message;
    }
    return h;
  }

  /** True when block mode asks the sources to wait. */
  get full(): boolean {
    return this.opts.common.when_full === 'block' && this.buffer.isFull();
  }

  /** Connects the output and starts the flush timer. */
  async start(): Promise<void> {
    if (this.instance.connect !== undefined) await this.instance.connect();
    this.schedule();
  }

  private schedule(): void {
    if (this.closed) return;
    const jitter = this.opts.flushJitterMs > 0 ? Math.random() * this.opts.flushJitterMs : 0;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flushSoon();
      this.schedule();
    }, this.opts.flushIntervalMs + jitter);
    this.timer.unref?.();
  }

  /**
   * Accepts a batch that passed this output's filter; never blocks. In block mode the sources wait
   * while the buffer is full; a batch that arrives anyway (a source that cannot wait) is dropped and
   * counted, so the buffer never exceeds its limit by more than the batch that filled it.
   */
  add(metrics: Metric[], delivery: Delivery | null, ingestedAt: number): void {
    if (this.closed) {
      delivery?.release(false);
      this.stats.dropped(metrics.length, 'closed');
      return;
    }
    if (this.full) {
      delivery?.release(false);
      this.dropped(metrics.length, 'buffer_full');
      return;
    }
    this.accept(metrics, delivery, ingestedAt);
  }

  private accept(metrics: Metric[], delivery: Delivery | null, ingestedAt: number): void {
    this.arrivals.push({ at: ingestedAt, count: metrics.length });
    let r: void | Promise<void>;
    try {
      r = this.buffer.add(metrics, delivery);
    } catch (e) {
      // The buffer could not store the batch (and settled its delivery as failed): counted here,
      // then the source is told (see Pipeline.fanOut).
      this.dropped(metrics.length, 'buffer_error');
      throw e;
    }
    if (r instanceof Promise) r.catch((e: unknown) => this.log.error({ err: e }, 'buffer append failed'));
    this.report();
    if (this.buffer.length >= this.opts.batchSize) this.flushSoon();
  }

  private report(): void {
    this.stats.buffer(this.buffer.length, this.buffer.bytes, this.opts.bufferLimit);
    const full = this.full;
    if (this.wasFull && !full) this.opts.onCapacity?.();
    this.wasFull = full;
  }

  /** Starts writing if no write loop runs and no backoff is pending. */
  flushSoon(): void {
    if (this.closed) return;
    if (this.writing !== null || performance.now() < this.retryAt) return;
    this.retryDue = false;
    this.writing = this.writeLoop().finally(() => {
      this.writing = null;
      if (this.retryDue) this.flushSoon();
    });
  }

  /**
   * Writes batches until the buffer is below one batch (or a write fails), up to maxWrites at
   * once: the first write takes what there is; another starts only for a whole batch not yet taken.
   * After a failure no new write starts; the loop ends once those in flight are answered.
   */
  private async writeLoop(): Promise<void> {
    const flying = new Set<Promise<void>>();
    let failed = false;
    const size = this.opts.batchSize;
    for (;;) {
      while (
        !failed &&
        !this.closed &&
        !this.stopping.signal.aborted &&
        flying.size < this.maxWrites &&
        (flying.size === 0 || this.buffer.length - this.inFlight >= size)
      ) {
        const batch = await this.buffer.take(size);
        if (batch === null) break;
        const n = batch.metrics.length;
        this.inFlight += n;
        const w: Promise<void> = this.writeBatch(batch).then((ok) => {
          this.inFlight -= n;
          flying.delete(w);
          if (!ok) failed = true;
          this.report();
        });
        flying.add(w);
      }
      if (flying.size === 0) return;
      await Promise.race(flying);
      if (flying.size === 0 && (failed || this.buffer.length < size || this.stopping.signal.aborted)) return;
    }
  }

  /** One attempt; true when the batch left the buffer. */
  private async writeBatch(batch: BufferBatch): Promise<boolean> {
    const metrics = batch.metrics;
    const start = performance.now();
    try {
      await this.withTimeout(this.instance.write(metrics));
      await this.buffer.ack(batch);
      this.delivered(metrics.length, start);
      return true;
    } catch (e) {
      return this.failed(batch, e, start);
    }
  }

  private delivered(n: number, start: number): void {
    const now = performance.now();
    this.stats.written(n);
    this.stats.writeTime((now - start) / 1000);
    this.attempt = 0;
    this.failingSince = undefined;
    this.lastError = undefined;
    let left = n;
    while (left > 0 && this.arrivals.length > 0) {
      const a = this.arrivals[0];
      const k = Math.min(left, a.count);
      this.stats.latency((now - a.at) / 1000);
      a.count -= k;
      left -= k;
      if (a.count === 0) this.arrivals.shift();
    }
  }

  private async failed(batch: BufferBatch, e: unknown, start: number): Promise<boolean> {
    const err =
      e instanceof WriteError
        ? e
        : WriteError.retryable(e instanceof Error ? e.message : String(e), { cause: e });
    this.stats.error(err.kind);
    this.lastError = { code: err.code, message: err.message };
    if (err.kind === 'permanent') {
      await this.buffer.ack(batch);
      this.dropped(batch.metrics.length, 'rejected');
      this.log.error(
        { err: err.message, count: batch.metrics.length },
        'output rejected a batch for good; dropped',
      );
      this.attempt = 0;
      return true;
    }
    if (err.kind === 'partial') {
      const retry = err.retry.map((i) => batch.metrics[i]).filter((m) => m !== undefined);
      // The part to retry keeps its sources unacknowledged: hold their deliveries across the ack.
      const held = retry.length > 0 ? this.buffer.deliveriesOf(batch) : [];
      for (const d of held) d.retain();
      await this.buffer.ack(batch);
      if (err.rejected.length > 0) {
        this.dropped(err.rejected.length, 'rejected');
        this.log.warn(
          { count: err.rejected.length, first: err.rejected[0].reason },
          'output rejected part of a batch; dropped',
        );
      }
      const written = batch.metrics.length - err.rejected.length - retry.length;
      if (written > 0) this.delivered(written, start);
      if (retry.length === 0) return true;
      const hold = held.length === 0 ? null : new Delivery((ok) => held.forEach((d) => d.release(ok)));
      const r = this.buffer.add(retry, hold);
      if (r instanceof Promise) await r;
    } else {
      this.buffer.nack(batch);
    }
    this.attempt++;
    this.failingSince ??= performance.now();
    this.stats.retry();
    const delay = backoffDelay(
      this.attempt,
      this.opts.common.retry_initial_backoff,
      this.opts.common.retry_max_backoff,
      err.retryAfterMs,
    );
    this.retryAt = performance.now() + delay;
    this.log.warn(
      { err: err.message, attempt: this.attempt, retryInMs: Math.round(delay), buffered: this.buffer.length },
      'output write failed; will retry',
    );
    setTimeout(() => {
      this.retryDue = true;
      this.flushSoon();
    }, delay).unref?.();
    return false;
  }

  private withTimeout(p: Promise<void>): Promise<void> {
    const ms = this.opts.common.write_timeout;
    let t: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      t = setTimeout(() => reject(WriteError.retryable(`write timed out after ${ms} ms`)), ms);
    });
    return Promise.race([p, timeout]).finally(() => clearTimeout(t));
  }

  /**
   * Stops writing and hands over what is buffered, for a successor with the same destination
   * (live reload): memory contents are returned with their deliveries; a disk buffer is closed so
   * the successor reopens the same directory and replays it.
   */
  async detach(): Promise<HandedOver[]> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.closed = true;
    if (this.writing !== null) {
      const w = this.writing;
      await Promise.race([w, sleep(this.opts.common.write_timeout, this.stopping.signal)]);
    }
    this.stopping.abort();
    const chunks = this.buffer.handOver();
    await this.buffer.close();
    this.stats.forget();
    await this.instance.close?.().catch((e: unknown) => this.log.warn({ err: e }, 'output close failed'));
    return chunks;
  }

  /** Takes over a predecessor's buffered metrics. */
  adopt(chunks: HandedOver[]): void {
    // Everything the predecessor held, whatever the bound: it was accepted already.
    for (const c of chunks) {
      if (this.closed) this.add(c.metrics, c.delivery, performance.now());
      else this.accept(c.metrics, c.delivery, performance.now());
    }
  }

  /**
   * Flushes within the deadline, then closes. What a memory buffer still holds is counted as
   * dropped; a disk buffer keeps it for the next start.
   */
  async stop(deadlineMs: number): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    const until = performance.now() + deadlineMs;
    this.retryAt = 0;
    while (this.buffer.length > 0 && performance.now() < until) {
      if (this.writing !== null)
        await Promise.race([this.writing, sleep(until - performance.now(), this.stopping.signal)]);
      else {
        const before = this.buffer.length;
        this.flushSoon();
        if (this.writing !== null)
          await Promise.race([this.writing, sleep(until - performance.now(), this.stopping.signal)]);
        if (this.buffer.length >= before)
          await sleep(
            Math.min(Math.max(0, this.retryAt - performance.now()), until - performance.now()),
            this.stopping.signal,
          );
      }
    }
    this.closed = true;
    this.stopping.abort();
    const left = this.buffer.length;
    if (left > 0) {
      const lost = this.buffer.abandon('shutdown');
      if (lost > 0)
        this.log.error(
          { code: ErrorCode.SHUTDOWN_TIMEOUT, count: lost },
          'shutdown deadline passed; unsent metrics dropped',
        );
      else
        this.log.warn(
          { code: ErrorCode.SHUTDOWN_TIMEOUT, count: left },
          'shutdown deadline passed; unsent metrics kept in the buffer for the next start',
        );
    }
    await this.buffer.close();
    this.stats.forget();
    if (this.instance.close !== undefined) {
      try {
        await this.instance.close();
      } catch (e) {
        this.log.warn({ err: e }, 'output close failed');
      }
    }
  }
}
