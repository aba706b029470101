/**
 * Spool retention: keeps the spool within `spool_max_age` and, with `spool_full_policy =
 * "drop_oldest"`, within `spool_max_bytes` by deleting its oldest segments even past destinations
 * that have not read them (Spool.trim). With "refuse" (the default) a full spool makes ingest answer
 * 429 and nothing unread is deleted for size. What is dropped is counted and logged (throttled).
 */
import type { Logger } from 'pino';
import { LogThrottle } from '../../core/engine/telemetry/log-throttle.ts';
import type { Telemetry } from '../../core/engine/telemetry/telemetry.ts';
import { ErrorCode } from '../../core/model/errors/codes.ts';
import type { SpoolAppender } from '../ingest/ingest.ts';
import type { Spool, TrimResult } from './spool.ts';

/** What happens when the spool reaches its size bound. */
export type SpoolFullPolicy = 'refuse' | 'drop_oldest';

export interface RetentionOptions {
  spool: Spool;
  maxBytes: number;
  /** Records older than this (by their append time) are deleted, whole segments at a time; 0: no age bound. */
  maxAgeMs: number;
  policy: SpoolFullPolicy;
  telemetry: Telemetry;
  log: Logger;
  /** Period of the age check; default a quarter of maxAgeMs, between 100 ms and 10 s. */
  checkEveryMs?: number;
}

/** Wraps the spool for ingest: appends pass through; a full spool first makes room under drop_oldest. */
export class SpoolRetention implements SpoolAppender {
  private readonly opts: RetentionOptions;
  private readonly throttle: LogThrottle;
  private timer: NodeJS.Timeout | undefined;

  constructor(opts: RetentionOptions) {
    this.opts = opts;
    this.throttle = new LogThrottle(opts.log);
  }

  /** Starts the periodic age check (a no-op without an age bound). */
  start(): void {
    const age = this.opts.maxAgeMs;
    if (!(age > 0) || this.timer !== undefined) return;
    const every = this.opts.checkEveryMs ?? Math.min(10_000, Math.max(100, age / 4));
    this.timer = setInterval(() => this.enforce(), every);
    this.timer.unref();
    this.enforce();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  append(payload: Uint8Array | readonly Uint8Array[]): Promise<void> {
    return this.opts.spool.append(payload);
  }

  /** Full after retention had its chance: under drop_oldest only when the segment being written alone fills it. */
  isFull(): boolean {
    const { spool, policy } = this.opts;
    if (spool.closed) return false;
    if (spool.isFull() && policy === 'drop_oldest')
      this.dropFor('bytes', () => spool.trim(this.opts.maxBytes - 1, Infinity));
    return spool.isFull();
  }

  /** Applies both bounds now (the age always; the size only under drop_oldest). */
  enforce(): void {
    const { spool, maxAgeMs, policy } = this.opts;
    if (spool.closed) return;
    try {
      if (maxAgeMs > 0) this.dropFor('age', () => spool.trim(Infinity, maxAgeMs));
      if (policy === 'drop_oldest' && spool.isFull())
        this.dropFor('bytes', () => spool.trim(this.opts.maxBytes - 1, Infinity));
    } catch (err) {
      this.opts.log.error({ err }, 'spool retention could not delete a segment');
    }
  }

  private dropFor(reason: 'age' | 'bytes', trim: () => TrimResult): void {
    const r = trim();
    if (r.bytes === 0) return;
    const t = this.opts.telemetry;
    t.counter(
      'viva_collector_spool_dropped_records',
      'Spool records (batches) deleted by retention, by reason (age, bytes)',
    ).add(r.records, { reason });
    t.counter(
      'viva_collector_spool_dropped_bytes',
      'Spool bytes deleted by retention, by reason (age, bytes)',
    ).add(r.bytes, {
      reason,
    });
    const unread = t.counter(
      'viva_collector_spool_dropped_unread_records',
      'Spool records deleted by retention before a destination had delivered them',
    );
    for (const [destination, n] of Object.entries(r.readers))
      if (n > 0) unread.add(n, { destination, reason });
    this.throttle.warn(
      reason,
      {
        code: ErrorCode.BUFFER_FULL,
        reason,
        records: r.records,
        bytes: r.bytes,
        seq_from: r.firstSeq,
        seq_to: r.lastSeq,
        appended_from: r.firstAppendedAt === null ? undefined : new Date(r.firstAppendedAt).toISOString(),
        undelivered: r.readers,
      },
      reason === 'age'
        ? 'spool retention deleted segments older than spool_max_age'
        : 'spool full: retention deleted the oldest segments (spool_full_policy = "drop_oldest")',
      r.records,
    );
  }
}
