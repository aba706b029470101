/**
 * Metrics as one Parquet table: one row per metric, one column per tag and per field, so an
 * analyst queries it as it reads (`SELECT host, avg(usage_idle) FROM 'x.parquet' WHERE
 * measurement = 'cpu' GROUP BY host`). Columns:
 *
 * - `time`: INT64 TIMESTAMP(MICROS, adjusted to UTC) by default — what Spark, DuckDB and pandas all
 *   read as a UTC timestamp; with `ns`, TIMESTAMP(NANOS) not adjusted to UTC (its values are UTC):
 *   exact to the nanosecond of the line protocol (DuckDB reads a UTC-adjusted NANOS column at
 *   microsecond precision, and Spark reads NANOS only behind a legacy flag);
 * - `measurement`: string;
 * - each tag key: string, null where a metric lacks the tag;
 * - each field key: typed (float → DOUBLE, integer → INT64, unsigned → UINT64, boolean →
 *   BOOLEAN, string → STRING), null where a metric lacks the field. A field whose type differs
 *   between metrics of one file is DOUBLE when every value is numeric, STRING otherwise.
 *
 * A tag or field named `time` or `measurement`, or a field named like a tag, gets a `tag_` or
 * `field_` prefix (then a number, should that be taken too).
 */
import { ByteWriter, parquetWrite } from 'hyparquet-writer';
import type { Metric } from '../../../core/model/metric/metric.ts';

type Kind = 'float' | 'int' | 'uint' | 'boolean' | 'string' | 'number' | 'mixed';

interface Column {
  name: string;
  values: unknown[];
}

interface SchemaElement {
  name: string;
  type?: string;
  repetition_type?: string;
  num_children?: number;
  converted_type?: string;
  logical_type?: Record<string, unknown>;
}

const RESERVED = new Set(['time', 'measurement']);

function merge(a: Kind | undefined, b: Kind): Kind {
  if (a === undefined || a === b) return b;
  const numeric = (k: Kind): boolean => k === 'float' || k === 'int' || k === 'uint' || k === 'number';
  return numeric(a) && numeric(b) ? 'number' : 'mixed';
}

/** The kind of every tag and field over the metrics. */
function survey(metrics: readonly Metric[]): { tags: string[]; fields: Map<string, Kind> } {
  const tags = new Set<string>();
  const fields = new Map<string, Kind>();
  for (const m of metrics) {
    for (const k in m.tags) tags.add(k);
    for (const k in m.fields) fields.set(k, merge(fields.get(k), m.fieldType(k) ?? 'mixed'));
  }
  return { tags: [...tags].sort(), fields: new Map([...fields].sort((x, y) => (x[0] < y[0] ? -1 : 1))) };
}

function uniqueName(wanted: string, prefix: string, taken: Set<string>): string {
  let name = RESERVED.has(wanted) || taken.has(wanted) ? prefix + wanted : wanted;
  for (let n = 2; taken.has(name); n++) name = `${prefix}${wanted}_${n}`;
  taken.add(name);
  return name;
}

function element(name: string, kind: Kind): SchemaElement {
  const opt = { name, repetition_type: 'OPTIONAL' };
  switch (kind) {
    case 'float':
    case 'number':
      return { ...opt, type: 'DOUBLE' };
    case 'int':
      return { ...opt, type: 'INT64' };
    case 'uint':
      return { ...opt, type: 'INT64', converted_type: 'UINT_64' };
    case 'boolean':
      return { ...opt, type: 'BOOLEAN' };
    default:
      return { ...opt, type: 'BYTE_ARRAY', converted_type: 'UTF8' };
  }
}

function convert(v: unknown, kind: Kind): unknown {
  if (v === undefined) return null;
  switch (kind) {
    case 'int':
    case 'uint':
      return typeof v === 'bigint' ? v : BigInt(v as number);
    case 'number':
      return Number(v);
    case 'mixed':
      return String(v);
    default:
      return v;
  }
}

/** What the table holds besides its bytes. */
export interface ParquetTable {
  bytes: Uint8Array;
  rows: number;
  columns: string[];
}

/** Builds the Parquet file of a batch of metrics (at least one). */
export function metricsToParquet(
  metrics: readonly Metric[],
  meta: Record<string, string> = {},
  timeUnit: 'us' | 'ns' = 'us',
): ParquetTable {
  const ns = timeUnit === 'ns';
  const { tags, fields } = survey(metrics);
  const taken = new Set(RESERVED);
  const schema: SchemaElement[] = [
    {
      name: 'time',
      type: 'INT64',
      repetition_type: 'REQUIRED',
      logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: !ns, unit: ns ? 'NANOS' : 'MICROS' },
    },
    { name: 'measurement', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
  ];
  const n = metrics.length;
  const time = new Array<bigint>(n);
  const measurement = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const m = metrics[i];
    time[i] = ns
      ? BigInt(m.timeMs) * 1_000_000n + BigInt(m.timeNs)
      : BigInt(m.timeMs * 1000 + Math.floor(m.timeNs / 1000));
    measurement[i] = m.name;
  }
  const columns: Column[] = [
    { name: 'time', values: time },
    { name: 'measurement', values: measurement },
  ];
  // One pass over the metrics fills every column (a column per key scanned row by row would cost
  // columns × rows: the bench's corpus has dozens of keys over its measurements).
  const tagCols = new Map<string, unknown[]>();
  for (const k of tags) {
    const name = uniqueName(k, 'tag_', taken);
    schema.push(element(name, 'string'));
    const values = new Array<unknown>(n).fill(null);
    tagCols.set(k, values);
    columns.push({ name, values });
  }
  const fieldCols = new Map<string, { values: unknown[]; kind: Kind }>();
  for (const [k, kind] of fields) {
    const name = uniqueName(k, 'field_', taken);
    schema.push(element(name, kind));
    const values = new Array<unknown>(n).fill(null);
    fieldCols.set(k, { values, kind });
    columns.push({ name, values });
  }
  for (let i = 0; i < n; i++) {
    const m = metrics[i];
    for (const k in m.tags) (tagCols.get(k) as unknown[])[i] = m.tags[k];
    for (const k in m.fields) {
      const c = fieldCols.get(k) as { values: unknown[]; kind: Kind };
      c.values[i] = convert(m.fields[k], c.kind);
    }
  }
  schema.unshift({ name: 'root', num_children: columns.length });
  const writer = new ByteWriter();
  // Synchronous with a ByteWriter (a Promise only for async writers).
  void parquetWrite({
    writer,
    columnData: columns.map((c) => ({ name: c.name, data: c.values as never })),
    schema: schema as never,
    kvMetadata: Object.entries(meta).map(([key, value]) => ({ key, value })),
    createdBy: 'viva archive',
  });
  return { bytes: new Uint8Array(writer.getBuffer()), rows: n, columns: columns.map((c) => c.name) };
}
