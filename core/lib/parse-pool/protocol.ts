/**
 * Messages between a ParsePool and its worker threads.
 */
import type { ParseError } from '../../format/types.ts';
import type { Precision } from '../../model/metric/time.ts';

/** Parse errors a worker sends back (the count covers the rest): what a 400 names. */
export const MAX_ERRORS = 10;

/** What a worker is started with. */
export interface WorkerData {
  /** influx_series_cache of the worker's own parser. */
  seriesCache: number;
}

/** One body to parse. */
export interface WorkerRequest {
  id: number;
  /** The body, in an ArrayBuffer of its own (transferred). */
  body: Uint8Array;
  precision: Precision | undefined;
  /** Time of lines without one, [ms, ns-within-ms]. */
  now: readonly [number, number];
  /** Tests only: the worker throws as a bug would. */
  crash?: boolean;
}

/** What a worker answers for one body. */
export interface WorkerReply {
  id: number;
  /** The metrics, encodeBatch()ed (transferred). */
  data: Uint8Array;
  /** The first MAX_ERRORS errors. */
  errors: ParseError[];
  errorCount: number;
}
