/**
 * One write request of the InfluxDB APIs (v1 /write, v2 /api/v2/write): auth, backpressure,
 * body size, gzip, parse in one go, push one batch, answer like InfluxDB. Good lines of a body
 * with bad ones are kept (a partial write) and the bad ones are named by line number in a 400.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { gunzip as gunzipCb } from 'node:zlib';
import type { ParseError, ParseResult, Parser } from '../../../core/format/types.ts';
import type { BodyPool } from '../../../core/lib/http/body-pool.ts';
import { readBody } from '../../../core/lib/http/body.ts';
import type { Precision } from '../../../core/model/metric/time.ts';
import type { Accumulator } from '../../../core/plugin/types.ts';
import { pushForAnswer, type AckMode } from '../../../core/lib/http/ack.ts';
import type { CapacityGate } from '../../../core/lib/http/backpressure.ts';
import type { ParsePool } from '../../../core/lib/parse-pool/pool.ts';

const gunzip = promisify(gunzipCb);

const PRECISIONS: Record<string, Precision> = {
  n: 'ns',
  ns: 'ns',
  u: 'us',
  us: 'us',
  µ: 'us',
  ms: 'ms',
  s: 's',
};
/** Errors named in the 400 message; the count covers the rest. */
const MAX_NAMED = 10;

/** What a write needs besides the request. */
export interface WriteContext {
  acc: Accumulator;
  lineProtocol: Parser;
  /** Worker threads sharing the line protocol parsing (parse_workers), when there are any. */
  parsePool?: ParsePool;
  json: Parser;
  maxBodySize: number;
  retryAfterSeconds: number;
  /** Holds writes while the pipeline is full (backpressure_wait; shared by both APIs). */
  gate: CapacityGate;
  /** When a write is answered: at once, or once the pipeline stored it (core/lib/http/ack.ts). */
  ack: AckMode;
  /** Body bytes held by every request in flight (shared by both APIs), and their bound. */
  inflight: { bytes: number; max: number };
  /** Buffers of bodies of a declared size, given back once parsed (shared by both APIs). */
  pool?: BodyPool;
  /** [query param, tag name] pairs of the API version. */
  paramTags: [string, string][];
  now(): number;
}

/** Sends a JSON error body the way InfluxDB does. */
export function sendError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  extra: Record<string, string> = {},
): void {
  const body = JSON.stringify({ code, message, error: message });
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    ...extra,
  });
  res.end(body);
}

/**
 * 429: the pipeline pushes back; the connection is closed so an unread body is not drained.
 * Counted in viva_input_rejected_total{reason="backpressure"} (logged throttled).
 */
function tooBusy(req: IncomingMessage, res: ServerResponse, w: WriteContext): void {
  refused(req, w, 'backpressure', { retry_after_s: w.retryAfterSeconds });
  sendError(res, 429, 'too many requests', 'the pipeline is full; retry later', {
    'retry-after': String(w.retryAfterSeconds),
    connection: 'close',
  });
}

/**
 * True when the pipeline has room, at once or after holding the request up to backpressure_wait;
 * false when the request was answered 429 (or its client went away meanwhile).
 */
function admitted(req: IncomingMessage, res: ServerResponse, w: WriteContext): boolean | Promise<boolean> {
  return w.gate.admitOrRefuse(res, () => tooBusy(req, res, w));
}

/** Counts a refused request in viva_input_rejected_total{reason} (logged throttled). */
function refused(
  req: IncomingMessage,
  w: WriteContext,
  reason: string,
  detail: Record<string, unknown> = {},
): void {
  w.acc.reject(reason, { remote: req.socket.remoteAddress, ...detail });
}

function tooLarge(req: IncomingMessage, res: ServerResponse, w: WriteContext): void {
  refused(req, w, 'body too large', { max_body_size: w.maxBodySize });
  sendError(res, 413, 'request too large', `body exceeds max_body_size (${w.maxBodySize} bytes)`, {
    connection: 'close',
  });
}

/** 503: the bodies in flight hold max_inflight_body_size; the connection is closed. */
function overloaded(req: IncomingMessage, res: ServerResponse, w: WriteContext): void {
  refused(req, w, 'in-flight bodies over max_inflight_body_size', { max_inflight_body_size: w.inflight.max });
  sendError(res, 503, 'unavailable', 'too many request bodies in flight; retry later', {
    'retry-after': String(w.retryAfterSeconds),
    connection: 'close',
  });
}

/**
 * 503: the pipeline acknowledged the batch as not stored (a spool append failed); nothing of it
 * may be taken as written, so the sender retries the whole body.
 */
function notStored(req: IncomingMessage, res: ServerResponse, w: WriteContext, count: number): void {
  w.acc.reject('not stored by the pipeline', { remote: req.socket.remoteAddress }, count);
  sendError(res, 503, 'unavailable', 'the batch could not be stored; retry later', {
    'retry-after': String(w.retryAfterSeconds),
  });
}

/** The 400 message naming failing lines: `3 of 10 lines rejected: line 2: ...; line 7: ...`. */
export function partialMessage(errors: ParseError[], good: number, count = errors.length): string {
  // Parser messages usually start with their line already ("line 2: ..."): say it once.
  const named = errors
    .slice(0, MAX_NAMED)
    .map((e) => (e.message.startsWith(`line ${e.line}:`) ? e.message : `line ${e.line}: ${e.message}`));
  const more = count > MAX_NAMED ? `; and ${count - MAX_NAMED} more` : '';
  const what =
    good > 0 ? `partial write: ${count} of ${count + good} lines rejected` : `${count} lines rejected`;
  return `${what}: ${named.join('; ')}${more}`;
}

/** Handles one write request; the body bytes it held are given back when it ends. */
export async function handleWrite(
  req: IncomingMessage,
  res: ServerResponse,
  query: URLSearchParams,
  w: WriteContext,
): Promise<void> {
  const held = { bytes: 0 };
  try {
    await write(req, res, query, w, held);
  } finally {
    w.inflight.bytes -= held.bytes;
  }
}

async function write(
  req: IncomingMessage,
  res: ServerResponse,
  query: URLSearchParams,
  w: WriteContext,
  held: { bytes: number },
): Promise<void> {
  const first = admitted(req, res, w);
  if (first !== true && !(await first)) return;
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > w.maxBodySize) return tooLarge(req, res, w);
  if (w.inflight.bytes + declared > w.inflight.max) return overloaded(req, res, w);
  const p = query.get('precision');
  const precision = p === null || p === '' ? 'ns' : PRECISIONS[p];
  if (precision === undefined) {
    refused(req, w, 'unsupported precision');
    return sendError(res, 400, 'invalid', `unsupported precision "${p}"`);
  }
  const raw = await readBody(req, w, held, (why) =>
    why === 'too large' ? tooLarge(req, res, w) : overloaded(req, res, w),
  );
  if (raw === null) return;
  let parsed: (ParseResult & { errorCount?: number }) | null;
  try {
    parsed = await parseBody(req, res, w, held, raw, precision, p);
  } finally {
    // Parsed (or refused): nothing refers to the body's bytes any more, so its buffer is reused.
    w.pool?.give(raw);
  }
  if (parsed === null) return;
  const { metrics, errors } = parsed;
  // A body parsed in a worker carries only its first errors, and their count.
  const errorCount = parsed.errorCount ?? errors.length;
  if (metrics.length > 0) {
    for (const [param, tag] of w.paramTags) {
      const v = query.get(param);
      if (v === null || v === '') continue;
      for (let i = 0; i < metrics.length; i++) metrics[i].tags[tag] = v;
    }
    const stored = await pushForAnswer(w.acc, metrics, w.ack);
    if (!stored) return notStored(req, res, w, metrics.length);
  }
  if (errorCount === 0) {
    res.writeHead(204);
    res.end();
    return;
  }
  w.acc.reject(
    isJsonBody(req) ? 'invalid JSON metrics' : 'invalid line protocol',
    {
      remote: req.socket.remoteAddress,
      lines: errors.slice(0, MAX_NAMED).map((e) => e.line),
      first: errors[0].message,
      text: errors[0].text,
    },
    errorCount,
  );
  sendError(res, 400, 'invalid', partialMessage(errors, metrics.length, errorCount));
}

function isJsonBody(req: IncomingMessage): boolean {
  return (req.headers['content-type'] ?? '').startsWith('application/json');
}

/** Decodes and parses a body read whole; null when the request was answered (refused) here. */
async function parseBody(
  req: IncomingMessage,
  res: ServerResponse,
  w: WriteContext,
  held: { bytes: number },
  raw: Buffer,
  precision: Precision,
  p: string | null,
): Promise<(ParseResult & { errorCount?: number }) | null> {
  let body = raw;
  const encoding = req.headers['content-encoding'];
  if (encoding === 'gzip') {
    try {
      body = await gunzip(body, { maxOutputLength: w.maxBodySize });
      held.bytes += body.length;
      w.inflight.bytes += body.length;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') tooLarge(req, res, w);
      else {
        refused(req, w, 'invalid gzip body');
        sendError(res, 400, 'invalid', `invalid gzip body: ${(e as Error).message}`);
      }
      return null;
    }
  } else if (encoding !== undefined && encoding !== 'identity') {
    refused(req, w, 'unsupported content encoding', { encoding });
    sendError(res, 415, 'unsupported media type', `unsupported Content-Encoding "${encoding}"`);
    return null;
  }
  // The pipeline may have filled while the body arrived: wait for room (or refuse) rather than
  // overfill it; the body held meanwhile counts against max_inflight_body_size.
  const room = admitted(req, res, w);
  if (room !== true && !(await room)) return null;
  const isJson = isJsonBody(req);
  const parser = isJson ? w.json : w.lineProtocol;
  // JSON epoch numbers without an explicit precision get their unit inferred from their size.
  const given = isJson && (p === null || p === '') ? undefined : precision;
  const options = { precision: given, defaultTime: [w.now(), 0] as const };
  if (!isJson && w.parsePool !== undefined) return w.parsePool.parse(body, options);
  return parser.parse(body, options);
}
