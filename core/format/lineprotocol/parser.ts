/**
 * InfluxDB line protocol parser, in place over the bytes of a Buffer.
 *
 * `measurement[,tag=value...] field=value[,field=value...] [timestamp]`, one point per line.
 * Escapes, per element: measurement `\,` `\ `; tag keys, tag values and field keys `\,` `\=` `\ `;
 * string field values `\"`; everywhere `\\` is one backslash and any other backslash is literal.
 * A quoted string may hold raw newlines. Comments (`#`), blank lines and CRLF are accepted.
 * A NUL byte is refused in the measurement name, tag keys, tag values and field keys (escaped or
 * not: "line N: NUL byte in measurement name"); string field values may hold one.
 * A bad line yields one ParseError and parsing goes on with the next line; nothing throws.
 */
import type { Precision } from '../../model/metric/time.ts';
import type { ParseOptions, ParseResult, Parser } from '../types.ts';
import { Reader } from './reader.ts';
import { SeriesCache } from './series-cache.ts';
import type { Bytes } from './strings.ts';

/** Options of a LineProtocolParser: defaults for every parse() call. */
export interface LineProtocolParserOptions {
  /** Precision of timestamps in the input. Default ns. */
  precision?: Precision;
  /**
   * Series remembered across parse() calls (see series-cache.ts); 0 remembers none. Default
   * DEFAULT_SERIES_CACHE.
   */
  seriesCache?: number;
}

/** What a parser's series cache has done (counters since it was made). */
export interface SeriesCacheStats {
  /** Series remembered now, and at most. */
  size: number;
  capacity: number;
  /** Lines whose series was remembered; lookups that found nothing. */
  hits: number;
  misses: number;
  /** Input bytes parsed without the cache because a full cache hit too little. */
  bypassedBytes: number;
  /** Hit ratio over the last 16 MiB of input judged. */
  lastHitRatio: number;
}

/** Series a LineProtocolParser remembers across calls unless told otherwise. */
export const DEFAULT_SERIES_CACHE = 200_000;

/** The input as a Buffer without copying bytes, or null for anything else (JavaScript callers). */
function toBytes(input: unknown): Bytes | null {
  if (typeof input === 'string') return Buffer.from(input, 'utf8') as Bytes;
  if (Buffer.isBuffer(input)) return input as Bytes;
  if (input instanceof Uint8Array)
    return Buffer.from(input.buffer, input.byteOffset, input.byteLength) as Bytes;
  return null;
}

/** Parses line protocol (a Buffer is parsed in place; a string is encoded first). */
export function parseLineProtocol(input: Buffer | string, options: ParseOptions = {}): ParseResult {
  const bytes = toBytes(input);
  if (bytes === null)
    return { metrics: [], errors: [{ line: 1, message: 'line 1: input is not a Buffer or a string' }] };
  return run(bytes, options, null);
}

function run(bytes: Bytes, options: ParseOptions, cache: SeriesCache | null): ParseResult {
  const r = new Reader(bytes, options.precision ?? 'ns', options.defaultTime, cache);
  r.run();
  return { metrics: r.metrics, errors: r.errors };
}

/**
 * The line protocol Parser; per-call options override the constructor's. It remembers the series
 * it has seen, so a stream that repeats its series (every listener's) parses faster.
 */
export class LineProtocolParser implements Parser {
  private readonly precision: Precision;
  private readonly cache: SeriesCache | null;

  constructor(options: LineProtocolParserOptions = {}) {
    this.precision = options.precision ?? 'ns';
    const size = options.seriesCache ?? DEFAULT_SERIES_CACHE;
    this.cache = size >= 2 ? new SeriesCache(size) : null;
  }

  /** The series cache's counters, or null without one. */
  seriesCacheStats(): SeriesCacheStats | null {
    const c = this.cache;
    if (c === null) return null;
    return {
      size: c.size,
      capacity: c.capacity,
      hits: c.hits,
      misses: c.misses,
      bypassedBytes: c.bypassedBytes,
      lastHitRatio: c.lastHitRatio,
    };
  }

  parse(input: Buffer | string, options: ParseOptions = {}): ParseResult {
    const bytes = toBytes(input);
    if (bytes === null) return parseLineProtocol(input, options);
    const cache = this.cache;
    return run(
      bytes,
      { precision: options.precision ?? this.precision, defaultTime: options.defaultTime },
      cache !== null && cache.engaged(bytes.length) ? cache : null,
    );
  }
}
