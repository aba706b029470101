/**
 * JSON serializer in Telegraf's shape: `{"metrics":[{"fields":{..},"name":"..","tags":{..},
 * "timestamp":N}]}` with tags sorted by key and an integer timestamp in the configured unit
 * (seconds by default, as Telegraf's json_timestamp_units). Integers beyond 2^53 are written as
 * their exact digits. NaN and ±Infinity cannot be JSON numbers: such fields are skipped and counted,
 * and a metric left without fields is skipped.
 */
import type { Metric } from '../../model/metric/metric.ts';
import type { Precision } from '../../model/metric/time.ts';
import { timeText } from '../timetext.ts';
import type { SerializeResult, Serializer } from '../types.ts';

/** Options of a JsonSerializer. */
export interface JsonSerializerOptions {
  /** Unit of the integer `timestamp` (truncated toward -infinity). Default s. */
  timestampUnits?: Precision;
}

/** A JSON string literal; plain text (the usual key or tag) skips JSON.stringify. */
function jsonString(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 34 || c === 92 || (c >= 0xd800 && c <= 0xdfff)) return JSON.stringify(s);
  }
  return '"' + s + '"';
}

/** Keys of a tag set in sorted order; sorts only when needed. */
function sortedKeys(tags: Record<string, string>): string[] {
  const keys = Object.keys(tags);
  for (let i = 1; i < keys.length; i++) if (keys[i - 1] > keys[i]) return keys.sort();
  return keys;
}

interface Counts {
  fields: number;
  metrics: number;
}

/** The fields of m as JSON members; `skipped` counts those JSON cannot carry. */
function fieldsJson(m: Metric, skipped: { n: number }): string {
  let out = '';
  const fields = m.fields;
  for (const key in fields) {
    const v = fields[key];
    let text: string;
    switch (typeof v) {
      case 'number':
        if (v - v !== 0) {
          skipped.n++;
          continue;
        }
        text = v === 0 && 1 / v < 0 ? '-0' : String(v);
        break;
      case 'bigint':
        text = v.toString();
        break;
      case 'string':
        text = jsonString(v);
        break;
      case 'boolean':
        text = v ? 'true' : 'false';
        break;
      default:
        skipped.n++;
        continue;
    }
    out += (out === '' ? '' : ',') + jsonString(key) + ':' + text;
  }
  return out;
}

function tagsJson(m: Metric): string {
  const tags = m.tags;
  const keys = sortedKeys(tags);
  let out = '';
  for (let i = 0; i < keys.length; i++) {
    out += (i === 0 ? '' : ',') + jsonString(keys[i]) + ':' + jsonString(String(tags[keys[i]]));
  }
  return out;
}

/** One metric as a JSON object, or '' when no field can be written. */
function metricJson(m: Metric, unit: Precision, counts: Counts | null): string {
  const skipped = { n: 0 };
  const fields = fieldsJson(m, skipped);
  if (fields === '') {
    if (counts !== null) counts.metrics++;
    return '';
  }
  if (counts !== null) counts.fields += skipped.n;
  return (
    '{"fields":{' +
    fields +
    '},"name":' +
    jsonString(m.name) +
    ',"tags":{' +
    tagsJson(m) +
    '},"timestamp":' +
    timeText(m.timeMs, m.timeNs, unit) +
    '}'
  );
}

/** Serializes a batch as `{"metrics":[...]}`, with counts of what was skipped. */
export function serializeJson(metrics: readonly Metric[], unit: Precision = 's'): SerializeResult {
  const counts: Counts = { fields: 0, metrics: 0 };
  let out = '{"metrics":[';
  let first = true;
  for (let i = 0; i < metrics.length; i++) {
    const one = metricJson(metrics[i], unit, counts);
    if (one === '') continue;
    out += first ? one : ',' + one;
    first = false;
  }
  out += ']}\n';
  return {
    data: Buffer.from(out, 'utf8'),
    skippedFields: counts.fields,
    skippedTags: 0,
    skippedMetrics: counts.metrics,
  };
}

/** One metric as a JSON object text (no batch wrapper), or '' when no field can be written. */
export function serializeJsonMetric(m: Metric, unit: Precision = 's'): string {
  return metricJson(m, unit, null);
}

/** The JSON Serializer. */
export class JsonSerializer implements Serializer {
  readonly contentType = 'application/json';
  private readonly unit: Precision;

  constructor(options: JsonSerializerOptions = {}) {
    this.unit = options.timestampUnits ?? 's';
  }

  serialize(metrics: readonly Metric[]): Buffer {
    return serializeJson(metrics, this.unit).data;
  }

  /** Like serialize(), with counts of the skipped fields and metrics. */
  encode(metrics: readonly Metric[]): SerializeResult {
    return serializeJson(metrics, this.unit);
  }
}
