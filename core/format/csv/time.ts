/**
 * CSV timestamps to exact (ms, ns-within-ms): epoch numbers (unix, unix_ms, unix_us, unix_ns),
 * RFC 3339, Go reference layouts such as "2006-01-02 15:04:05" (NAB's format) or
 * "02/01/2006 15:04:05.000 -0700", and "auto" (numbers by magnitude, ISO 8601 text). Text
 * without a zone is UTC.
 */
import { timeFromDigits, timeFromNumber, timeFromRfc3339, type TimeResult } from '../json/time.ts';

/** Parses one timestamp cell: the time, or an error message. */
export type TimeParse = (text: string) => TimeResult;

const UNITS = { unix: 's', unix_ms: 'ms', unix_us: 'us', unix_ns: 'ns' } as const;
const NUMBER = /^[+-]?\d+(\.\d+)?$/;
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

/** Date and time parts read from a cell. */
interface Parts {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
  s: number;
  /** Fraction digits of the second. */
  frac: string;
  pm: -1 | 0 | 1;
  /** Offset east of UTC in minutes. */
  offset: number;
}

const daysIn = (y: number, mo: number): number =>
  mo === 2
    ? y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0)
      ? 29
      : 28
    : [4, 6, 9, 11].includes(mo)
      ? 30
      : 31;

/** The time of date and time parts, or an error message. */
function timeOf(p: Parts, text: string): TimeResult {
  let h = p.h;
  if (p.pm !== -1) {
    if (h < 1 || h > 12) return `invalid timestamp ${JSON.stringify(text)}: hour ${h} with AM/PM`;
    h = (h % 12) + (p.pm === 1 ? 12 : 0);
  }
  if (p.mo < 1 || p.mo > 12 || p.d < 1 || p.d > daysIn(p.y, p.mo) || h > 23 || p.mi > 59 || p.s > 60)
    return `invalid timestamp ${JSON.stringify(text)}`;
  const ms = Date.UTC(p.y, p.mo - 1, p.d, h, p.mi, p.s) - p.offset * 60_000;
  const f = p.frac.padEnd(9, '0');
  return [ms + Number(f.slice(0, 3)), Number(f.slice(3, 9))];
}

/** Minutes east of UTC of "Z", "+02:00", "-0700" or "+05". */
function offsetOf(z: string): number {
  if (z === '' || z === 'Z' || z === 'z' || z === 'UTC') return 0;
  const digits = z.slice(1).replace(':', '');
  const m = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0');
  return z[0] === '-' ? -m : m;
}

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|z|UTC|[+-]\d{2}(?::?\d{2})?)?$/;

/** "auto": epoch numbers by magnitude, or ISO 8601 text (date, optional time, optional zone). */
function autoTime(text: string): TimeResult {
  if (NUMBER.test(text))
    return text.includes('.') ? timeFromNumber(Number(text), 'auto') : timeFromDigits(text, 'auto');
  const m = ISO.exec(text);
  if (m === null) return `invalid timestamp ${JSON.stringify(text)}: not an epoch number or ISO 8601 time`;
  return timeOf(
    {
      y: Number(m[1]),
      mo: Number(m[2]),
      d: Number(m[3]),
      h: Number(m[4] ?? 0),
      mi: Number(m[5] ?? 0),
      s: Number(m[6] ?? 0),
      frac: m[7] ?? '',
      pm: -1,
      offset: offsetOf(m[8] ?? ''),
    },
    text,
  );
}

type Setter = (p: Parts, v: string) => void;

const names = (list: string[], short: boolean): string =>
  list.map((n) => (short ? n.slice(0, 3) : n)).join('|');
const month =
  (list: string[], short: boolean): Setter =>
  (p, v) => {
    p.mo = list.findIndex((n) => (short ? n.slice(0, 3) : n) === v) + 1;
  };
const int =
  (key: 'y' | 'mo' | 'd' | 'h' | 'mi' | 's'): Setter =>
  (p, v) => {
    p[key] = Number(v.trim());
  };
const zone: Setter = (p, v) => {
  p.offset = offsetOf(v);
};
const ignore: Setter = () => undefined;

/** Go layout elements, longest first where one is a prefix of another. */
const ELEMENTS: [string, string, Setter][] = [
  ['January', names(MONTHS, false), month(MONTHS, false)],
  ['Monday', names(DAYS, false), ignore],
  ['2006', '\\d{4}', int('y')],
  ['Z07:00', 'Z|[+-]\\d{2}:\\d{2}', zone],
  ['-07:00', '[+-]\\d{2}:\\d{2}', zone],
  ['Z0700', 'Z|[+-]\\d{4}', zone],
  ['-0700', '[+-]\\d{4}', zone],
  ['Z07', 'Z|[+-]\\d{2}', zone],
  ['-07', '[+-]\\d{2}', zone],
  ['Jan', names(MONTHS, true), month(MONTHS, true)],
  ['Mon', names(DAYS, true), ignore],
  ['MST', 'UTC|GMT', ignore],
  ['PM', 'AM|PM', (p, v) => (p.pm = v === 'PM' ? 1 : 0)],
  ['pm', 'am|pm', (p, v) => (p.pm = v === 'pm' ? 1 : 0)],
  ['01', '\\d{2}', int('mo')],
  ['02', '\\d{2}', int('d')],
  ['_2', '[ \\d]\\d', int('d')],
  ['03', '\\d{2}', (p, v) => ((p.h = Number(v)), p.pm === -1 && (p.pm = 0))],
  ['04', '\\d{2}', int('mi')],
  ['05', '\\d{2}', int('s')],
  ['06', '\\d{2}', (p, v) => (p.y = Number(v) + (Number(v) >= 69 ? 1900 : 2000))],
  ['15', '\\d{2}', int('h')],
  ['1', '\\d{1,2}', int('mo')],
  ['2', '\\d{1,2}', int('d')],
  ['3', '\\d{1,2}', (p, v) => ((p.h = Number(v)), p.pm === -1 && (p.pm = 0))],
  ['4', '\\d{1,2}', int('mi')],
  ['5', '\\d{1,2}', int('s')],
];

/** Compiles a Go reference layout ("2006-01-02 15:04:05.000 -0700") into a parser. */
export function layoutParser(layout: string): TimeParse {
  let src = '^';
  const setters: Setter[] = [];
  for (let i = 0; i < layout.length;) {
    const frac = /^[.,](0+|9+)(?![0-9])/.exec(layout.slice(i));
    if (frac !== null) {
      const n = frac[1].length;
      src += frac[1][0] === '0' ? `[.,](\\d{${n}})` : `(?:[.,](\\d{1,${n}}))?`;
      setters.push((p, v) => (p.frac = v));
      i += frac[0].length;
      continue;
    }
    const el = ELEMENTS.find(([token]) => layout.startsWith(token, i));
    if (el !== undefined) {
      src += `(${el[1]})`;
      setters.push(el[2]);
      i += el[0].length;
    } else {
      src += layout[i].replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      i++;
    }
  }
  const re = new RegExp(src + '$');
  return (text) => {
    const m = re.exec(text);
    if (m === null)
      return `invalid timestamp ${JSON.stringify(text)}: does not match layout ${JSON.stringify(layout)}`;
    const p: Parts = { y: 1970, mo: 1, d: 1, h: 0, mi: 0, s: 0, frac: '', pm: -1, offset: 0 };
    for (let k = 0; k < setters.length; k++) if (m[k + 1] !== undefined) setters[k](p, m[k + 1]);
    return timeOf(p, text);
  };
}

/** The parser of a timestamp format: auto, unix, unix_ms, unix_us, unix_ns, rfc3339 or a Go layout. */
export function timeParser(format: string): TimeParse {
  if (format === 'auto') return autoTime;
  if (format === 'rfc3339') return timeFromRfc3339;
  if (Object.hasOwn(UNITS, format)) {
    const unit = UNITS[format as keyof typeof UNITS];
    return (text) =>
      !NUMBER.test(text)
        ? `invalid timestamp ${JSON.stringify(text)}: not a number (${format})`
        : text.includes('.')
          ? timeFromNumber(Number(text), unit)
          : timeFromDigits(text, unit);
  }
  return layoutParser(format);
}
