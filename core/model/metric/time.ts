/**
 * Exact nanosecond time without BigInt on the hot path: a time is (ms, ns-within-ms).
 */
import type { Metric } from './metric.ts';

/** Precisions accepted by line protocol writers. */
export type Precision = 'ns' | 'us' | 'ms' | 's';

const NS_PER_MS = 1_000_000;

/** Nanosecond timestamp as a decimal string (exact, may be negative). */
export function formatTimeNs(timeMs: number, timeNs: number): string {
  if (timeMs >= 0) {
    if (timeMs === 0) return String(timeNs);
    return String(timeMs) + String(timeNs).padStart(6, '0');
  }
  // Negative: value = timeMs*1e6 + timeNs with timeNs in [0,1e6); print -(|timeMs|-1)*1e6 - (1e6-timeNs).
  if (timeNs === 0) return String(timeMs) + '000000';
  const ms = -timeMs - 1;
  const ns = NS_PER_MS - timeNs;
  return ms === 0 ? '-' + String(ns) : '-' + String(ms) + String(ns).padStart(6, '0');
}

/** Timestamp of a metric in the given precision as a decimal string (truncates toward -inf). */
export function formatTime(m: Metric, precision: Precision = 'ns'): string {
  switch (precision) {
    case 'ns':
      return formatTimeNs(m.timeMs, m.timeNs);
    case 'us':
      return String(m.timeMs * 1000 + Math.floor(m.timeNs / 1000));
    case 'ms':
      return String(m.timeMs);
    case 's':
      return String(Math.floor(m.timeMs / 1000));
  }
}

/** Nanoseconds since the epoch as a float (for arithmetic where ns precision is not needed). */
export function timeAsNumberNs(m: Metric): number {
  return m.timeMs * NS_PER_MS + m.timeNs;
}

/** Compare two metric times: negative, zero or positive. */
export function compareTime(a: Metric, b: Metric): number {
  return a.timeMs - b.timeMs || a.timeNs - b.timeNs;
}

/** Sets (timeMs, timeNs) on a metric from milliseconds that may carry a fraction. */
export function setTimeFromMs(m: Metric, ms: number): void {
  const whole = Math.floor(ms);
  m.timeMs = whole;
  m.timeNs = Math.round((ms - whole) * NS_PER_MS);
  if (m.timeNs >= NS_PER_MS) {
    m.timeMs += 1;
    m.timeNs -= NS_PER_MS;
  }
}
