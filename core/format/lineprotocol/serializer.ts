/**
 * InfluxDB line protocol serializer. Canonical output: tags sorted by key, fields in the metric's
 * order, ints with `i`, uints with `u`, floats in a form that parses back to the same double,
 * exact timestamps. What line protocol cannot carry is skipped and counted: NaN and ±Infinity
 * fields, empty keys, empty tag values, keys and tag values holding a NUL byte (the parser refuses
 * them), integers outside int64/uint64, and whole metrics with an empty name, a name holding a NUL
 * byte, a name starting with `#` (it would read as a comment) or no field left.
 */
import type { Metric } from '../../model/metric/metric.ts';
import type { Precision } from '../../model/metric/time.ts';
import { timeText } from '../timetext.ts';
import type { SerializeResult, Serializer } from '../types.ts';
import { ByteWriter, FIELD, KEY, MEASUREMENT } from './writer.ts';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;
const SP = 32;
const COMMA = 44;
const EQ = 61;
const NL = 10;

/** Options of a LineProtocolSerializer. */
export interface LineProtocolSerializerOptions {
  /** Precision of the written timestamps (truncated toward -infinity). Default ns. */
  precision?: Precision;
}

/** One serialize call: the output and the counts of what was skipped. */
class LineEncoder {
  readonly w: ByteWriter;
  readonly precision: Precision;
  skippedFields = 0;
  skippedTags = 0;
  /** Tags skipped in the current line, counted once the line is written. */
  private lineTags = 0;
  skippedMetrics = 0;
  /** The last written millisecond and its text: metrics of a batch often share it. */
  private lastMs = NaN;
  private lastMsText = '';

  constructor(capacity: number, precision: Precision) {
    this.w = new ByteWriter(capacity);
    this.precision = precision;
  }

  /** Writes one metric as a line, or nothing (counted) when it cannot be represented. */
  metric(m: Metric): void {
    const name = m.name;
    if (name === '' || name.charCodeAt(0) === 35 /* # */ || name.includes('\0')) {
      this.skippedMetrics++;
      return;
    }
    const w = this.w;
    const lineStart = w.pos;
    this.lineTags = 0;
    w.escaped(name, MEASUREMENT);
    this.tags(m.tags);
    w.byte(SP);
    const fields = m.fields;
    const types = m.fieldTypes;
    let first = true;
    let skipped = 0;
    for (const key in fields) {
      const mark = w.pos;
      if (!first) w.byte(COMMA);
      if (
        key === '' ||
        key.includes('\0') ||
        !this.field(key, fields[key], types === null ? undefined : types[key])
      ) {
        w.pos = mark;
        skipped++;
        continue;
      }
      first = false;
    }
    if (first) {
      w.pos = lineStart;
      this.skippedMetrics++;
      return;
    }
    this.skippedFields += skipped;
    this.skippedTags += this.lineTags;
    w.byte(SP);
    this.time(m);
    w.byte(NL);
  }

  /** Writes `,key=value` per tag in key order: in place when already sorted, else sorted first. */
  private tags(tags: Record<string, string>): void {
    const w = this.w;
    const start = w.pos;
    let prev = '';
    for (const k in tags) {
      if (k < prev) {
        w.pos = start;
        this.lineTags = 0;
        this.sortedTags(tags);
        return;
      }
      prev = k;
      this.tag(k, tags[k]);
    }
  }

  private sortedTags(tags: Record<string, string>): void {
    const keys = Object.keys(tags).sort();
    for (let i = 0; i < keys.length; i++) this.tag(keys[i], tags[keys[i]]);
  }

  private tag(k: string, v: unknown): void {
    if (k === '' || typeof v !== 'string' || v === '' || k.includes('\0') || v.includes('\0')) {
      this.lineTags++;
      return;
    }
    const w = this.w;
    w.byte(COMMA);
    w.escaped(k, KEY);
    w.byte(EQ);
    w.escaped(v, KEY);
  }

  /** Writes `key=value`; false when the value cannot be written. */
  private field(key: string, v: unknown, type: unknown): boolean {
    const w = this.w;
    switch (typeof v) {
      case 'number':
        if (v - v !== 0) return false; // NaN, ±Infinity
        w.escaped(key, FIELD);
        w.byte(EQ);
        if ((type === 'int' || type === 'uint') && Number.isSafeInteger(v) && (type === 'int' || v >= 0)) {
          w.integer(v);
          w.byte(type === 'int' ? 105 : 117);
        } else if (type === 'int' ? isInt64(v) : type === 'uint' && isUint64(v)) {
          w.ascii(BigInt(v).toString());
          w.byte(type === 'int' ? 105 : 117);
        } else {
          w.float(v);
        }
        return true;
      case 'string':
        w.escaped(key, FIELD);
        w.byte(EQ);
        w.quoted(v);
        return true;
      case 'boolean':
        w.escaped(key, FIELD);
        w.ascii(v ? '=true' : '=false');
        return true;
      case 'bigint':
        if (type === 'uint' ? v < 0n || v > UINT64_MAX : v < INT64_MIN || v > INT64_MAX) return false;
        w.escaped(key, FIELD);
        w.byte(EQ);
        w.ascii(v.toString());
        w.byte(type === 'uint' ? 117 : 105);
        return true;
      default:
        return false;
    }
  }

  private time(m: Metric): void {
    const w = this.w;
    const ms = m.timeMs;
    const p = this.precision;
    if (ms < 0 || p === 'us' || ms > Number.MAX_SAFE_INTEGER) {
      w.ascii(timeText(ms, m.timeNs, p));
      return;
    }
    if (p === 's') {
      w.digits(Math.floor(ms / 1000));
      return;
    }
    if (ms !== this.lastMs) {
      this.lastMs = ms;
      this.lastMsText = String(ms);
    }
    if (p === 'ms') {
      w.ascii(this.lastMsText);
    } else if (ms === 0) {
      w.digits(m.timeNs);
    } else {
      w.ascii(this.lastMsText);
      w.pad6(m.timeNs);
    }
  }
}

/** Integral doubles in range; a marked field that is not one is written as a float. */
function isInt64(v: number): boolean {
  return Number.isInteger(v) && v >= -9223372036854775808 && v < 9223372036854775808;
}
function isUint64(v: number): boolean {
  return Number.isInteger(v) && v >= 0 && v < 18446744073709551616;
}

/** Serializes a batch to line protocol, with counts of what was skipped. */
export function serializeLineProtocol(
  metrics: readonly Metric[],
  precision: Precision = 'ns',
): SerializeResult {
  const enc = new LineEncoder(metrics.length * 200, precision);
  for (let i = 0; i < metrics.length; i++) enc.metric(metrics[i]);
  return {
    data: enc.w.bytes(),
    skippedFields: enc.skippedFields,
    skippedTags: enc.skippedTags,
    skippedMetrics: enc.skippedMetrics,
  };
}

/** One metric as a line protocol line ending in "\n", or '' when it cannot be represented. */
export function serializeMetricTo(m: Metric, precision: Precision = 'ns'): string {
  const enc = new LineEncoder(256, precision);
  enc.metric(m);
  return enc.w.bytes().toString('utf8');
}

/** The line protocol Serializer. */
export class LineProtocolSerializer implements Serializer {
  readonly contentType = 'text/plain; charset=utf-8';
  private readonly precision: Precision;

  constructor(options: LineProtocolSerializerOptions = {}) {
    this.precision = options.precision ?? 'ns';
  }

  serialize(metrics: readonly Metric[]): Buffer {
    return serializeLineProtocol(metrics, this.precision).data;
  }

  /** Like serialize(), with counts of the skipped fields, tags and metrics. */
  encode(metrics: readonly Metric[]): SerializeResult {
    return serializeLineProtocol(metrics, this.precision);
  }
}
