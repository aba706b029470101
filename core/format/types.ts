/**
 * Data formats: parsers fill batches from bytes, serializers turn batches into bytes.
 */
import type { Metric } from '../model/metric/metric.ts';
import type { Precision } from '../model/metric/time.ts';

/** One rejected line or record: where (1-based line) and why. */
export interface ParseError {
  line: number;
  message: string;
  /** The offending input, truncated for logs. */
  text?: string;
}

/** What a parse returns: the good metrics, and one error per bad line. Never throws on bad input. */
export interface ParseResult {
  metrics: Metric[];
  errors: ParseError[];
}

/** Options common to parsers. */
export interface ParseOptions {
  /** Precision of timestamps without a unit in the input (line protocol). Default ns. */
  precision?: Precision;
  /** Time given to metrics without a timestamp, as [ms, ns-within-ms]. Default: now. */
  defaultTime?: readonly [number, number];
}

/** A parser for one data format. */
export interface Parser {
  parse(input: Buffer | string, options?: ParseOptions): ParseResult;
}

/** A serialized batch, with counts of what the format could not carry (skipped, never silent). */
export interface SerializeResult {
  data: Buffer;
  /** Metrics left out whole (e.g. no field the format can carry). */
  skippedMetrics: number;
  /** Fields left out of metrics that were written (e.g. NaN in line protocol). */
  skippedFields: number;
  /** Tags left out (e.g. an empty tag value in line protocol). */
  skippedTags: number;
}

/** A serializer for one data format. */
export interface Serializer {
  /** Content-Type of what serialize() produces. */
  readonly contentType: string;
  serialize(metrics: readonly Metric[]): Buffer;
  /** Like serialize(), with counts of what was skipped; formats that never skip may omit it. */
  encode?(metrics: readonly Metric[]): SerializeResult;
}
