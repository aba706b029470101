/**
 * Rows to metrics: tag columns become tags, field columns typed fields (integers stay integers,
 * beyond 2^53 as bigint), the time column the metric time to the nanosecond. Also reads the
 * high-water mark column of an incremental query.
 */
import { Metric } from '../../model/metric/metric.ts';
import type { Cell, ColumnKind, QueryResult } from './driver.ts';

/** How a numeric time column counts from the epoch. */
export type EpochUnit = 'unix' | 'unix_ms' | 'unix_us' | 'unix_ns';

/** What the conversion needs of one query. */
export interface RowShape {
  measurement: string;
  tag_columns: string[];
  field_columns: string[];
  time_column?: string;
  time_format: EpochUnit;
}

const TS =
  /^(\d{4,})-(\d\d)-(\d\d)(?:[ T](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?)?\s*(?:(Z)|([+-])(\d\d)(?::?(\d\d))?(?::?(\d\d))?)?$/;

const NS_PER: Record<EpochUnit, bigint> = {
  unix: 1_000_000_000n,
  unix_ms: 1_000_000n,
  unix_us: 1000n,
  unix_ns: 1n,
};

/** Text of a date or timestamp (UTC unless it carries an offset) as [ms since epoch, extra ns]. */
export function parseTimestamp(text: string): [number, number] | undefined {
  const m = TS.exec(text.trim());
  if (m === null) return undefined;
  let ms = Date.UTC(
    Number(m[1]),
    Number(m[2]) - 1,
    Number(m[3]),
    Number(m[4] ?? 0),
    Number(m[5] ?? 0),
    Number(m[6] ?? 0),
  );
  if (m[9] !== undefined) {
    const off = (Number(m[10]) * 3600 + Number(m[11] ?? 0) * 60 + Number(m[12] ?? 0)) * 1000;
    ms -= m[9] === '+' ? off : -off;
  }
  const frac = (m[7] ?? '').padEnd(9, '0');
  return [ms + Number(frac.slice(0, 3)), Number(frac.slice(3))];
}

/** A time cell: timestamp text, or a number of `unit`s since the epoch (exact for integers). */
export function cellTime(v: Cell, unit: EpochUnit): [number, number] | undefined {
  if (typeof v === 'string') {
    const t = parseTimestamp(v);
    if (t !== undefined || !/^-?\d+(\.\d+)?$/.test(v.trim())) return t;
    v = v.includes('.') ? Number(v) : BigInt(v.trim());
  }
  if (typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v))) {
    const ns = BigInt(v) * NS_PER[unit];
    const ms = ns / 1_000_000n - (ns % 1_000_000n < 0n ? 1n : 0n);
    return [Number(ms), Number(ns - ms * 1_000_000n)];
  }
  if (typeof v === 'number' && Number.isFinite(v)) {
    const msFloat = (v * Number(NS_PER[unit])) / 1e6;
    const ms = Math.floor(msFloat);
    return [ms, Math.min(999_999, Math.round((msFloat - ms) * 1e6))];
  }
  return undefined;
}

/** Sets one cell as a field by its column kind; false when nothing could be set. */
export function setCellField(m: Metric, key: string, v: Cell, kind: ColumnKind): boolean {
  if (v === null) return false;
  if (typeof v === 'bigint') {
    const safe = v >= Number.MIN_SAFE_INTEGER && v <= Number.MAX_SAFE_INTEGER;
    m.setInt(key, safe ? Number(v) : v, kind === 'uint' ? 'uint' : 'int');
  } else if (typeof v === 'number') {
    if ((kind === 'int' || kind === 'uint') && Number.isInteger(v)) m.setInt(key, v, kind);
    else m.setField(key, v);
  } else if (typeof v === 'boolean' || typeof v === 'string') m.setField(key, v);
  else m.setField(key, Buffer.from(v).toString('utf8'));
  return true;
}

/** The conversion of one result. */
export interface Converted {
  metrics: Metric[];
  /** Rows with no field value left (rejected). */
  empty: number;
  /** Rows whose time column did not read as a time (stamped now). */
  badTime: number;
}

function indexOf(r: QueryResult): Map<string, number> {
  const idx = new Map<string, number>();
  r.columns.forEach((c, i) => {
    if (!idx.has(c.name)) idx.set(c.name, i);
  });
  return idx;
}

/** Rows of one result as metrics. */
export function rowsToMetrics(
  r: QueryResult,
  q: RowShape,
  extraTags: Record<string, string>,
  nowMs: number,
): Converted {
  const idx = indexOf(r);
  const tagCols = q.tag_columns.flatMap((c) => (idx.has(c) ? [idx.get(c) as number] : []));
  const timeCol = q.time_column === undefined ? -1 : (idx.get(q.time_column) ?? -1);
  const skip = new Set([...q.tag_columns, ...(q.time_column !== undefined ? [q.time_column] : [])]);
  const fieldCols =
    q.field_columns.length > 0
      ? q.field_columns.flatMap((c) => (idx.has(c) ? [idx.get(c) as number] : []))
      : r.columns.flatMap((c, i) => (skip.has(c.name) || idx.get(c.name) !== i ? [] : [i]));
  const out: Converted = { metrics: [], empty: 0, badTime: 0 };
  for (const row of r.rows) {
    const m = new Metric(q.measurement, { ...extraTags }, {}, nowMs);
    for (const i of tagCols) {
      const v = row[i];
      if (v !== null && v !== '') m.tags[r.columns[i].name] = typeof v === 'string' ? v : String(v);
    }
    for (const i of fieldCols) setCellField(m, r.columns[i].name, row[i], r.columns[i].kind);
    if (timeCol !== -1 && row[timeCol] !== null) {
      const t = cellTime(row[timeCol], q.time_format);
      if (t === undefined) out.badTime++;
      else [m.timeMs, m.timeNs] = t;
    }
    if (Object.keys(m.fields).length === 0) out.empty++;
    else out.metrics.push(m);
  }
  return out;
}
