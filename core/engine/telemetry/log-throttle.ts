/**
 * Recurring warnings at a bounded rate. Bad input, drops under overload and the like can happen
 * thousands of times a second; each occurrence is counted in a self-metric by its caller, and the
 * log gets the first one at once, then at most one line per key and interval. A line that follows
 * held-back occurrences says so: `suppressed` (occurrences not logged since the previous line of
 * that key) and `suppressed_count` (the items they carried: lines, metrics, messages).
 */

/** How often one key of a throttle may log. */
export const LOG_EVERY_MS = 10_000;

/** The part of a pino logger a throttle writes to. */
export interface WarnLog {
  warn(fields: object, msg: string): void;
}

interface KeyState {
  last: number;
  calls: number;
  count: number;
}

export class LogThrottle {
  private readonly log: WarnLog;
  private readonly everyMs: number;
  private readonly now: () => number;
  /** One entry per key: callers use a fixed set of keys (reasons), so this stays small. */
  private readonly keys = new Map<string, KeyState>();

  constructor(log: WarnLog, opts: { everyMs?: number; now?: () => number } = {}) {
    this.log = log;
    this.everyMs = opts.everyMs ?? LOG_EVERY_MS;
    this.now = opts.now ?? (() => performance.now());
  }

  /** Logs `msg` with `fields` unless `key` logged less than an interval ago; then it is counted. */
  warn(key: string, fields: object, msg: string, count = 1): void {
    const now = this.now();
    const s = this.keys.get(key);
    if (s === undefined) {
      this.keys.set(key, { last: now, calls: 0, count: 0 });
      this.log.warn(fields, msg);
      return;
    }
    if (now - s.last < this.everyMs) {
      s.calls++;
      s.count += count;
      return;
    }
    this.log.warn(s.calls > 0 ? { ...fields, suppressed: s.calls, suppressed_count: s.count } : fields, msg);
    s.last = now;
    s.calls = 0;
    s.count = 0;
  }
}
