/**
 * VIVA's error classes: a code from codes.ts, a message that says where and why.
 */
import { ErrorCode, type ErrorCodeValue } from './codes.ts';

/** Base class of every coded error. */
export class VivaError extends Error {
  readonly code: ErrorCodeValue;
  constructor(code: ErrorCodeValue, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'VivaError';
    this.code = code;
  }
}

/** One config problem, located by file, plugin instance and key path. */
export interface ConfigIssue {
  file?: string;
  /** e.g. `inputs.generator[0]` or `inputs.generator (alias "load")`. */
  plugin?: string;
  /** Dotted key path inside the plugin table or section, e.g. `fields.0.kind`. */
  path?: string;
  message: string;
  /** A more specific code than the config error's own (e.g. an unknown plugin), shown on the line. */
  code?: ErrorCodeValue;
}

/** Formats a config issue as one line: `file: plugin: key: message (code)`. */
export function formatConfigIssue(i: ConfigIssue): string {
  const where = [i.file, i.plugin, i.path].filter((s) => s !== undefined && s !== '').join(': ');
  const message = i.code === undefined ? i.message : `${i.message} (${i.code})`;
  return where === '' ? message : `${where}: ${message}`;
}

/** A config that failed validation; carries every issue found, not just the first. */
export class ConfigError extends VivaError {
  readonly issues: ConfigIssue[];
  constructor(code: ErrorCodeValue, issues: ConfigIssue[]) {
    super(code, issues.map(formatConfigIssue).join('\n'));
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/** One metric an output refused for good, by its index in the written batch. */
export interface RejectedMetric {
  index: number;
  reason: string;
}

/**
 * What an output throws when a write fails. The running output decides from `kind`:
 * retry later (honouring retryAfterMs), drop the batch with a counted reason, or accept part of it.
 */
export class WriteError extends VivaError {
  readonly kind: 'retryable' | 'permanent' | 'partial';
  /** Server-requested delay before the next attempt (Retry-After), in ms. */
  readonly retryAfterMs: number | undefined;
  /** partial: metrics refused for good (counted as dropped, never retried). */
  readonly rejected: RejectedMetric[];
  /** partial: indices to retry; every index not rejected and not here counts as written. */
  readonly retry: number[];

  private constructor(
    kind: 'retryable' | 'permanent' | 'partial',
    message: string,
    opts: { retryAfterMs?: number; rejected?: RejectedMetric[]; retry?: number[]; cause?: unknown },
  ) {
    const code =
      kind === 'retryable'
        ? ErrorCode.WRITE_RETRYABLE
        : kind === 'permanent'
          ? ErrorCode.WRITE_PERMANENT
          : ErrorCode.WRITE_PARTIAL;
    super(code, message, { cause: opts.cause });
    this.name = 'WriteError';
    this.kind = kind;
    this.retryAfterMs = opts.retryAfterMs;
    this.rejected = opts.rejected ?? [];
    this.retry = opts.retry ?? [];
  }

  /** The destination may accept the same batch later (5xx, 429, connection refused). */
  static retryable(message: string, opts: { retryAfterMs?: number; cause?: unknown } = {}): WriteError {
    return new WriteError('retryable', message, opts);
  }

  /** The batch can never be accepted (401 after auth failure is retryable; 400 bad data is not). */
  static permanent(message: string, opts: { cause?: unknown } = {}): WriteError {
    return new WriteError('permanent', message, opts);
  }

  /** Part of the batch was accepted; `rejected` are dropped, `retry` are written again. */
  static partial(
    message: string,
    opts: { rejected?: RejectedMetric[]; retry?: number[]; retryAfterMs?: number },
  ): WriteError {
    return new WriteError('partial', message, opts);
  }
}

/** Parses an HTTP Retry-After header (seconds or HTTP date) into ms, or undefined. */
export function parseRetryAfter(value: string | null | undefined, nowMs = Date.now()): number | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  const secs = Number(value);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}
