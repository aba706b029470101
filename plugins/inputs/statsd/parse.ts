/**
 * The statsd line format: `bucket[,tag=value...]:value|type[|@rate][|#tag:value,...]`, with
 * several `value|type` groups allowed after one bucket (`a:1|c:2|ms`). Types: c (counter),
 * g (gauge; a leading + or - adds to the last value), ms / h / d (timing, histogram,
 * distribution), s (set).
 *
 * A counter increment is an integer, as in Telegraf: the value divided by the sample rate,
 * truncated toward zero, exact for integer text (`9007199254740993|c`), and refused when it falls
 * outside int64 (`99999999999999999999999|c`) rather than turned into a float.
 */

/** Kinds of statsd values, by how they aggregate. */
export type StatKind = 'counter' | 'gauge' | 'timing' | 'set';

/** One parsed value. */
export interface StatEvent {
  bucket: string;
  /** Tags from the bucket (`name,k=v`) and DogStatsD `|#`; null when none. */
  tags: Record<string, string> | null;
  kind: StatKind;
  /** Value of the metric_type tag: counter, gauge, timing, histogram, distribution, set. */
  type: string;
  value: number;
  /** Set member (sets only). */
  member: string;
  /** Sample rate in (0, 1]. */
  rate: number;
  /** Gauge delta (+/-) rather than a new value. */
  additive: boolean;
  /** Counters: the increment (value / rate, truncated), a bigint when not a safe integer. */
  count: number | bigint;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const INTEGER = /^[+-]?\d+$/;

/** value / rate truncated toward zero, exact for integer text; null when outside int64. */
function increment(raw: string, value: number, rate: number): number | bigint | null {
  const n = Math.trunc(value / rate);
  // Integer text past 2^53 is not exact as a number: it is read again as a bigint below.
  if (Number.isSafeInteger(n) && Math.abs(value) <= Number.MAX_SAFE_INTEGER) return n;
  if (!Number.isFinite(n)) return null;
  const big = rate === 1 && INTEGER.test(raw) ? BigInt(raw) : BigInt(n);
  return big < INT64_MIN || big > INT64_MAX ? null : big;
}

const TYPES: Record<string, [StatKind, string]> = {
  c: ['counter', 'counter'],
  g: ['gauge', 'gauge'],
  ms: ['timing', 'timing'],
  h: ['timing', 'histogram'],
  d: ['timing', 'distribution'],
  s: ['set', 'set'],
};

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function addTag(tags: Record<string, string> | null, k: string, v: string): Record<string, string> {
  const t = tags ?? {};
  if (k !== '') t[k] = v;
  return t;
}

/** Tags in DogStatsD form: `k:v,k2` (a key without value gets "true"). */
function dogTags(text: string, tags: Record<string, string> | null): Record<string, string> | null {
  for (const kv of text.split(',')) {
    if (kv === '') continue;
    const colon = kv.indexOf(':');
    tags = colon === -1 ? addTag(tags, kv, 'true') : addTag(tags, kv.slice(0, colon), kv.slice(colon + 1));
  }
  return tags;
}

/** Parses one line into `out`; returns an error message, or undefined when good. */
export function parseStatsdLine(line: string, datadog: boolean, out: StatEvent[]): string | undefined {
  if (line.startsWith('_e{') || line.startsWith('_sc|'))
    return 'DogStatsD events and service checks are not supported';
  const colon = line.indexOf(':');
  if (colon <= 0) return 'no ":" after the bucket name';
  let bucket = line.slice(0, colon);
  let tags: Record<string, string> | null = null;
  const comma = bucket.indexOf(',');
  if (comma !== -1) {
    for (const kv of bucket.slice(comma + 1).split(',')) {
      const eq = kv.indexOf('=');
      if (eq <= 0) return `invalid tag "${kv}" in the bucket`;
      tags = addTag(tags, kv.slice(0, eq), kv.slice(eq + 1));
    }
    bucket = bucket.slice(0, comma);
  }
  if (bucket === '') return 'empty bucket name';
  const groups = line.slice(colon + 1).split(':');
  // A `|#tags` section may itself hold colons (k:v); rejoin what follows it.
  const hash = groups.findIndex((g) => g.includes('|#'));
  if (hash !== -1 && hash < groups.length - 1)
    groups.splice(hash, groups.length - hash, groups.slice(hash).join(':'));
  const evs: StatEvent[] = [];
  for (const g of groups) {
    const bits = g.split('|');
    if (bits.length < 2) return `value "${g}" has no |type`;
    const kt = TYPES[bits[1]];
    if (kt === undefined) return `unknown metric type "${bits[1]}"`;
    const raw = bits[0];
    let rate = 1;
    let evTags = tags;
    for (let i = 2; i < bits.length; i++) {
      const b = bits[i];
      if (b.startsWith('@')) {
        rate = Number(b.slice(1));
        if (!(rate > 0 && rate <= 1)) return `invalid sample rate "${b}"`;
      } else if (b.startsWith('#')) {
        if (datadog) evTags = dogTags(b.slice(1), evTags === null ? null : { ...evTags });
      } else if (!b.startsWith('c:') && !b.startsWith('T')) return `unknown section "${b}"`;
    }
    const ev: StatEvent = {
      bucket,
      tags: evTags,
      kind: kt[0],
      type: kt[1],
      value: 0,
      member: '',
      rate,
      additive: false,
      count: 0,
    };
    if (kt[0] === 'set') ev.member = raw;
    else {
      if (!NUMBER.test(raw)) return `invalid value "${raw}"`;
      ev.value = Number(raw);
      ev.additive = kt[0] === 'gauge' && (raw.startsWith('+') || raw.startsWith('-'));
      if (kt[0] === 'counter') {
        const inc = increment(raw, ev.value, rate);
        if (inc === null)
          return `counter increment ${rate === 1 ? raw : `${raw} / ${rate}`} is outside the int64 range`;
        ev.count = inc;
      }
    }
    evs.push(ev);
  }
  for (const ev of evs) out.push(ev);
  return undefined;
}
