/**
 * One remote write request: back-pressure, headers, body size (compressed and decompressed),
 * decode, one batch. A body that does not decode is refused whole with a 400 saying where; a
 * series without a metric name is refused alone (the others are kept) and named in the 400.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { decodeWriteRequest } from '../../../core/format/prometheus/remotewrite-decode.ts';
import { snappyUncompress, snappyUncompressedLength } from '../../../core/format/prometheus/snappy.ts';
import { readBody, type BodyLimits } from '../../../core/lib/http/body.ts';
import { ErrorCode, VivaError } from '../../../core/model/errors/index.ts';
import type { Accumulator } from '../../../core/plugin/types.ts';
import { pushForAnswer, type AckMode } from '../../../core/lib/http/ack.ts';
import type { CapacityGate } from '../../../core/lib/http/backpressure.ts';
import { toMetrics } from './convert.ts';

/** Series errors named in a 400; the count covers the rest. */
const MAX_NAMED = 10;

/** What a request needs besides itself. */
export interface ReceiveContext {
  acc: Accumulator;
  /** Holds requests while the pipeline is full (backpressure_wait). */
  gate: CapacityGate;
  limits: BodyLimits;
  metricVersion: 1 | 2;
  retryAfterSeconds: number;
  /** When a write is answered: at once, or once the pipeline stored it (core/lib/http/ack.ts). */
  ack: AckMode;
}

/** Sends a plain-text answer, as Prometheus' own receiver does (the sender logs it). */
export function sendText(
  res: ServerResponse,
  status: number,
  message: string,
  extra: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(message) + 1,
    ...extra,
  });
  res.end(message + '\n');
}

/** Counts a refused request in viva_input_rejected_total{reason} (logged throttled). */
function refuse(
  req: IncomingMessage,
  w: ReceiveContext,
  reason: string,
  detail: Record<string, unknown> = {},
  count = 1,
): void {
  w.acc.reject(reason, { remote: req.socket.remoteAddress, ...detail }, count);
}

function tooBusy(req: IncomingMessage, res: ServerResponse, w: ReceiveContext): void {
  refuse(req, w, 'backpressure', { retry_after_s: w.retryAfterSeconds });
  sendText(res, 429, 'the pipeline is full; retry later', {
    'retry-after': String(w.retryAfterSeconds),
    connection: 'close',
  });
}

function tooLarge(req: IncomingMessage, res: ServerResponse, w: ReceiveContext): void {
  refuse(req, w, 'body too large', { max_body_size: w.limits.maxBodySize });
  sendText(res, 413, `body exceeds max_body_size (${w.limits.maxBodySize} bytes)`, { connection: 'close' });
}

function overloaded(req: IncomingMessage, res: ServerResponse, w: ReceiveContext): void {
  refuse(req, w, 'in-flight bodies over max_inflight_body_size', {
    max_inflight_body_size: w.limits.inflight.max,
  });
  sendText(res, 503, 'too many request bodies in flight; retry later', {
    'retry-after': String(w.retryAfterSeconds),
    connection: 'close',
  });
}

/**
 * Why the headers do not announce a remote write 1.0 body, or undefined when they do. An absent
 * Content-Type is taken as protobuf; Content-Encoding must be snappy (the protocol requires it).
 */
function unsupported(req: IncomingMessage): string | undefined {
  const type = req.headers['content-type'];
  if (type !== undefined) {
    const [media, ...params] = type.split(';').map((p) => p.trim().toLowerCase());
    if (media !== 'application/x-protobuf') return `unsupported Content-Type "${type}"`;
    const proto = params.find((p) => p.startsWith('proto='))?.slice(6);
    if (proto !== undefined && proto !== 'prometheus.writerequest')
      return `unsupported protobuf message "${proto}" (remote write 1.0 takes prometheus.WriteRequest)`;
  }
  const encoding = req.headers['content-encoding'];
  if (encoding?.toLowerCase() !== 'snappy')
    return `unsupported Content-Encoding "${encoding ?? ''}" (remote write bodies are snappy)`;
  return undefined;
}

/**
 * True when the pipeline has room, at once or after holding the request up to backpressure_wait;
 * false when the request was answered 429 (or its client went away meanwhile).
 */
function admitted(req: IncomingMessage, res: ServerResponse, w: ReceiveContext): boolean | Promise<boolean> {
  return w.gate.admitOrRefuse(res, () => tooBusy(req, res, w));
}

/** Handles one remote write request; the body bytes it held are given back when it ends. */
export async function receive(req: IncomingMessage, res: ServerResponse, w: ReceiveContext): Promise<void> {
  const held = { bytes: 0 };
  try {
    await write(req, res, w, held);
  } finally {
    w.limits.inflight.bytes -= held.bytes;
  }
}

async function write(
  req: IncomingMessage,
  res: ServerResponse,
  w: ReceiveContext,
  held: { bytes: number },
): Promise<void> {
  const first = admitted(req, res, w);
  if (first !== true && !(await first)) return;
  const why = unsupported(req);
  if (why !== undefined) {
    refuse(req, w, 'unsupported media type', { why });
    return sendText(res, 415, why, { connection: 'close' });
  }
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > w.limits.maxBodySize) return tooLarge(req, res, w);
  if (w.limits.inflight.bytes + declared > w.limits.inflight.max) return overloaded(req, res, w);
  const body = await readBody(req, w.limits, held, (over) =>
    over === 'too large' ? tooLarge(req, res, w) : overloaded(req, res, w),
  );
  if (body === null) return;
  let decoded;
  try {
    // The declared size is checked before anything of that size is allocated.
    if (snappyUncompressedLength(body).length > w.limits.maxBodySize) return tooLarge(req, res, w);
    const raw = snappyUncompress(body);
    held.bytes += raw.length;
    w.limits.inflight.bytes += raw.length;
    decoded = decodeWriteRequest(raw);
  } catch (e) {
    if (!(e instanceof VivaError) || e.code !== ErrorCode.PARSE) throw e;
    refuse(req, w, 'invalid remote write body', { code: e.code, err: e.message });
    return sendText(res, 400, `invalid remote write body: ${e.message}`);
  }
  // The pipeline may have filled while the body arrived: wait for room (or refuse) rather than
  // overfill it; the body held meanwhile counts against max_inflight_body_size.
  const room = admitted(req, res, w);
  if (room !== true && !(await room)) return;
  const { metrics, errors } = toMetrics(decoded.series, w.metricVersion);
  if (metrics.length > 0 && !(await pushForAnswer(w.acc, metrics, w.ack))) {
    // Not stored (a spool append failed): nothing of it is written, the sender retries it whole.
    refuse(req, w, 'not stored by the pipeline', {}, metrics.length);
    return sendText(res, 503, 'the batch could not be stored; retry later', {
      'retry-after': String(w.retryAfterSeconds),
    });
  }
  if (decoded.histograms > 0)
    refuse(req, w, 'native histograms not supported', { samples: decoded.histograms }, decoded.histograms);
  if (errors.length === 0) {
    res.writeHead(204);
    res.end();
    return;
  }
  const named = errors.slice(0, MAX_NAMED).map((e) => `timeseries[${e.index}]: ${e.message}`);
  const more = errors.length > MAX_NAMED ? `; and ${errors.length - MAX_NAMED} more` : '';
  refuse(req, w, 'invalid series', { series: errors.slice(0, MAX_NAMED).map((e) => e.index) }, errors.length);
  sendText(
    res,
    400,
    `${errors.length} of ${decoded.series.length} series rejected: ${named.join('; ')}${more}`,
  );
}
