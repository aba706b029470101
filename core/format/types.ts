/**
 * Data formats: parsers fill batches from bytes, serializers turn batches into bytes.
 */
import type { Metric } from '../metric/metric.ts';
import type { Precision } from '../metric/time.ts';

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

/** A serializer for one data format. */
export interface Serializer {
  /** Content-Type of what serialize() produces. */
  readonly contentType: string;
  serialize(metrics: readonly Metric[]): Buffer;
}
