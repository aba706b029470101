/**
 * JSON timestamps to exact (ms, ns-within-ms): numbers in a given or guessed unit, digit strings,
 * and RFC 3339 strings with up to nanosecond fractions.
 */
import type { Precision } from '../../model/metric/time.ts';

/** Unit of numeric JSON timestamps; 'auto' guesses from the magnitude (see guessUnit). */
export type JsonTimeUnit = Precision | 'auto';

/** An exact time, or an error message. */
export type TimeResult = readonly [number, number] | string;

const NS_PER_MS = 1_000_000;

/**
 * The unit of an epoch timestamp from its magnitude: below 1e11 seconds (until the year 5138),
 * below 1e14 milliseconds, below 1e17 microseconds, else nanoseconds. Dates before 1973 in ms
 * (or before 1970-01-02 in ns) are therefore misread; configure the unit for such data.
 */
export function guessUnit(abs: number): Precision {
  return abs < 1e11 ? 's' : abs < 1e14 ? 'ms' : abs < 1e17 ? 'us' : 'ns';
}

/** Units per millisecond of the sub-millisecond units. */
const PER_MS = { us: 1e3, ns: 1e6 } as const;

/**
 * A numeric timestamp. Exact for integers up to 2^53 in any unit; fractions of s and ms are kept
 * to the microsecond (a double carries no more at today's epoch). For exact nanoseconds beyond
 * 2^53 pass `source`, the number's JSON text.
 */
export function timeFromNumber(v: number, unit: JsonTimeUnit, source?: string): TimeResult {
  if (!Number.isFinite(v)) return 'timestamp is not a finite number';
  const u = unit === 'auto' ? guessUnit(Math.abs(v)) : unit;
  if (source !== undefined && !Number.isSafeInteger(v) && /^-?\d+$/.test(source))
    return timeFromDigits(source, u);
  let ms: number;
  let ns: number;
  if (u === 's' || u === 'ms') {
    // Whole units are exact; the fraction is rounded to the microsecond.
    const whole = Math.floor(v);
    const perUnit = u === 's' ? 1e6 : 1e3; // microseconds per unit
    let us = Math.round((v - whole) * perUnit);
    let wholeMs = u === 's' ? whole * 1000 : whole;
    if (us >= perUnit) {
      us -= perUnit;
      wholeMs += u === 's' ? 1000 : 1;
    }
    ms = wholeMs + Math.floor(us / 1000);
    ns = (us % 1000) * 1000;
  } else {
    const per = PER_MS[u];
    ms = Math.floor(v / per);
    let rem = v - ms * per;
    if (rem < 0) {
      ms -= 1;
      rem += per;
    } else if (rem >= per) {
      ms += 1;
      rem -= per;
    }
    ns = Math.min(NS_PER_MS - 1, Math.round(rem * (NS_PER_MS / per)));
  }
  if (!Number.isSafeInteger(ms)) return 'timestamp out of range';
  return [ms, ns];
}

/** A timestamp given as a string of digits in `unit` ('auto' guesses from the digit count). */
export function timeFromDigits(s: string, unit: JsonTimeUnit): TimeResult {
  const neg = s.startsWith('-');
  const digits = (neg ? s.slice(1) : s).replace(/^0+(?=\d)/, '');
  if (!/^\d+$/.test(digits)) return `invalid timestamp ${JSON.stringify(s)}`;
  const u = unit === 'auto' ? guessUnit(Number(digits)) : unit;
  const sub = u === 'ns' ? 6 : u === 'us' ? 3 : 0;
  const cut = Math.max(0, digits.length - sub);
  const hi = cut === 0 ? 0 : Number(digits.slice(0, cut));
  const lo = sub === 0 ? 0 : Number(digits.slice(cut));
  let ms = u === 's' ? hi * 1000 : hi;
  let ns = sub === 3 ? lo * 1000 : lo;
  if (!Number.isSafeInteger(ms)) return 'timestamp out of range';
  if (neg && (ms !== 0 || ns !== 0)) {
    if (ns === 0) ms = -ms;
    else {
      ms = -ms - 1;
      ns = NS_PER_MS - ns;
    }
  }
  return [ms, ns];
}

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/** An RFC 3339 date-time, e.g. 2023-11-14T22:13:19.123456789Z or ...+02:00. */
export function timeFromRfc3339(s: string): TimeResult {
  const m = RFC3339.exec(s);
  if (m === null) return `invalid timestamp ${JSON.stringify(s)}: expected a number or RFC 3339 text`;
  const [, y, mo, d, h, mi, sec, frac, z, sign, oh, om] = m;
  let ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec));
  if (
    Number.isNaN(ms) ||
    Number(mo) > 12 ||
    Number(d) > 31 ||
    Number(h) > 23 ||
    Number(mi) > 59 ||
    Number(sec) > 60
  ) {
    return `invalid timestamp ${JSON.stringify(s)}`;
  }
  if (z === undefined) ms -= (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om)) * 60_000;
  const f = (frac ?? '').padEnd(9, '0');
  ms += Number(f.slice(0, 3));
  return [ms, Number(f.slice(3))];
}
