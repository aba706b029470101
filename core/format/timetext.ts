/**
 * Exact decimal text of a metric time in a precision, for every int64-nanosecond time. (Adding
 * ms * 1000 in floating point would lose digits beyond 2^53 microseconds, about the year 2255.)
 */
import { formatTimeNs } from '../model/metric/time.ts';
import type { Precision } from '../model/metric/time.ts';

/** Time (ms, ns-within-ms) as an integer count of `precision` units, floored toward -infinity. */
export function timeText(timeMs: number, timeNs: number, precision: Precision): string {
  switch (precision) {
    case 'ns':
      return formatTimeNs(timeMs, timeNs);
    case 'ms':
      return String(timeMs);
    case 's':
      return String(Math.floor(timeMs / 1000));
    case 'us': {
      const us = Math.floor(timeNs / 1000);
      if (timeMs >= 0) return timeMs === 0 ? String(us) : String(timeMs) + String(us).padStart(3, '0');
      if (us === 0) return String(timeMs) + '000';
      // value = timeMs*1000 + us = -((|timeMs| - 1) * 1000 + (1000 - us))
      const whole = -timeMs - 1;
      const part = 1000 - us;
      return whole === 0 ? '-' + String(part) : '-' + String(whole) + String(part).padStart(3, '0');
    }
  }
}
