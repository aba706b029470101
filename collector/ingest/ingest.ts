/**
 * Ingest of agent batches: `POST /v1/batch` (docs/COLLECTOR_PROTOCOL.md). A batch is checked
 * completely (token, size, encoding, every metric decoded) before it is appended to the spool,
 * and answered 204 only once the spool holds it durably (per the fsync policy). Every refusal has
 * its status code, a reason in the body, a counter and a throttled log line; nothing is spooled
 * for a refused batch.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Counter, Histogram } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { encodeBatch, validateBatch } from '../../core/format/binary/index.ts';
import { parseLineProtocol } from '../../core/format/lineprotocol/index.ts';
import { sameSecret } from '../../core/lib/listen/auth.ts';
import { LogThrottle } from '../../core/engine/telemetry/log-throttle.ts';
import type { Telemetry } from '../../core/engine/telemetry/telemetry.ts';
import { ErrorCode } from '../../core/model/errors/codes.ts';
import type { Metric } from '../../core/model/metric/metric.ts';
import { encodeRecordHead, MAX_AGENT_ID_BYTES } from './record.ts';
import { DedupWindow } from './dedup.ts';
import { gunzipBody } from './gunzip.ts';

export const BATCH_PATH = '/v1/batch';
export const BINARY_CONTENT_TYPE = 'application/vnd.viva.batch';

/** What ingest needs of the spool. */
export interface SpoolAppender {
  /** One record, whole or as parts (written one after the other, not copied into one buffer). */
  append(payload: Uint8Array | readonly Uint8Array[]): Promise<void>;
  isFull(): boolean;
}

export interface IngestOptions {
  spool: SpoolAppender;
  /** Token name → token; empty: no auth. */
  tokens: Record<string, string>;
  maxBodyBytes: number;
  retryAfterMs: number;
  dedupWindow: number;
  telemetry: Telemetry;
  log: Logger;
}

/** A refusal: status, counter reason, message for the sender. */
class Refusal {
  readonly status: number;
  readonly reason: string;
  readonly message: string;
  constructor(status: number, reason: string, message: string) {
    this.status = status;
    this.reason = reason;
    this.message = message;
  }
}

export class Ingest {
  private readonly opts: IngestOptions;
  private readonly tokens: [string, string][];
  private readonly dedup: DedupWindow;
  private readonly batches: Counter;
  private readonly metricsIn: Counter;
  private readonly bytesIn: Counter;
  private readonly rejected: Counter;
  private readonly duplicates: Counter;
  private readonly ackLatency: Histogram;
  private readonly throttle: LogThrottle;

  constructor(opts: IngestOptions) {
    this.opts = opts;
    this.tokens = Object.entries(opts.tokens);
    this.dedup = new DedupWindow(opts.dedupWindow);
    const t = opts.telemetry;
    this.batches = t.counter('viva_collector_ingest_batches', 'Batches accepted into the spool, by agent');
    this.metricsIn = t.counter('viva_collector_ingest_metrics', 'Metrics accepted into the spool');
    this.bytesIn = t.counter(
      'viva_collector_ingest_bytes',
      'Request body bytes of accepted batches (as sent)',
    );
    this.rejected = t.counter(
      'viva_collector_ingest_rejected',
      'Batches refused at ingest, by reason (auth, too_large, malformed, encoding, spool_full, spool_error, method)',
    );
    this.duplicates = t.counter(
      'viva_collector_ingest_duplicates',
      'Batches received again with a batch id already accepted from the same agent (acknowledged, not spooled again)',
    );
    this.ackLatency = t.histogram(
      'viva_collector_ingest_ack_latency',
      'Time from a batch fully received to its acknowledgement (decode, spool append, fsync)',
    );
    this.throttle = new LogThrottle(opts.log);
  }

  /** The request handler; never throws, every answer is counted. */
  handle = (req: IncomingMessage, res: ServerResponse): void => {
    this.serve(req, res).catch((e: unknown) => {
      // Only a bug gets here: answer 500 rather than leave the sender hanging.
      this.opts.log.error({ err: e instanceof Error ? e.message : String(e) }, 'ingest failed');
      if (!res.headersSent) this.answer(res, new Refusal(500, 'internal', 'internal error'));
    });
  };

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const path = url.indexOf('?') === -1 ? url : url.slice(0, url.indexOf('?'));
    if (path !== BATCH_PATH)
      return this.answer(res, new Refusal(404, 'not_found', `no such path ${path}`), req);
    if (req.method !== 'POST')
      return this.answer(res, new Refusal(405, 'method', `${req.method} not allowed; POST a batch`), req);
    const tokenName = this.authorize(req);
    if (tokenName === null)
      return this.answer(res, new Refusal(401, 'auth', 'missing or wrong bearer token'), req);
    const agent = this.agentOf(req, tokenName);
    if (agent instanceof Refusal) return this.answer(res, agent, req);
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > this.opts.maxBodyBytes)
      return this.answer(
        res,
        new Refusal(
          413,
          'too_large',
          `body of ${declared} bytes is over max_body_size ${this.opts.maxBodyBytes}`,
        ),
        req,
      );
    const body = await this.readBody(req);
    if (body instanceof Refusal) return this.answer(res, body, req);
    const received = performance.now();
    const batch = await this.decode(req, body);
    if (batch instanceof Refusal) return this.answer(res, batch, req, agent);
    const batchId = req.headers['x-viva-batch'];
    const id = typeof batchId === 'string' && batchId !== '' ? batchId : undefined;
    if (id !== undefined && this.dedup.seen(agent, id)) {
      this.duplicates.add(1, { agent });
      res.writeHead(204, { 'x-viva-duplicate': '1' });
      res.end();
      return;
    }
    if (this.opts.spool.isFull()) {
      const r = new Refusal(429, 'spool_full', 'the collector spool is full; retry later');
      return this.answer(res, r, req, agent);
    }
    try {
      // The record's head and the batch as two parts: the batch is not copied.
      await this.opts.spool.append([encodeRecordHead(agent), batch.bytes]);
    } catch (e) {
      this.throttle.warn(
        'spool',
        { code: ErrorCode.BUFFER_FULL, err: e instanceof Error ? e.message : String(e) },
        'spool append failed; batch refused with 503',
      );
      return this.answer(
        res,
        new Refusal(503, 'spool_error', 'the spool could not store the batch'),
        req,
        agent,
      );
    }
    if (id !== undefined) this.dedup.add(agent, id);
    this.batches.add(1, { agent });
    this.metricsIn.add(batch.count, { agent });
    this.bytesIn.add(body.length, { agent });
    this.ackLatency.record((performance.now() - received) / 1000);
    res.writeHead(204);
    res.end();
  }

  /** The name of the token presented, '' when no auth is configured, null when refused. */
  authorize(req: IncomingMessage): string | null {
    if (this.tokens.length === 0) return '';
    const h = req.headers.authorization ?? '';
    const space = h.indexOf(' ');
    if (space === -1 || h.slice(0, space).toLowerCase() !== 'bearer') return null;
    const given = h.slice(space + 1).trim();
    let found: string | null = null;
    // Every token is compared (constant time each), so the answer time does not tell which matched.
    for (const [name, token] of this.tokens) if (sameSecret(given, token) && found === null) found = name;
    return found;
  }

  private agentOf(req: IncomingMessage, tokenName: string): string | Refusal {
    const h = req.headers['x-viva-agent'];
    const agent =
      typeof h === 'string' && h !== ''
        ? h
        : tokenName !== ''
          ? tokenName
          : (req.socket.remoteAddress ?? 'unknown');
    if (Buffer.byteLength(agent) > MAX_AGENT_ID_BYTES)
      return new Refusal(400, 'malformed', `X-Viva-Agent longer than ${MAX_AGENT_ID_BYTES} bytes`);
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(agent))
      return new Refusal(400, 'malformed', 'X-Viva-Agent has control characters');
    return agent;
  }

  private readBody(req: IncomingMessage): Promise<Buffer | Refusal> {
    const max = this.opts.maxBodyBytes;
    return new Promise((resolve) => {
      const chunks: Buffer[] = [];
      let n = 0;
      let done = false;
      const finish = (v: Buffer | Refusal): void => {
        if (done) return;
        done = true;
        resolve(v);
      };
      req.on('data', (c: Buffer) => {
        n += c.length;
        if (n > max) {
          finish(new Refusal(413, 'too_large', `body over max_body_size ${max} bytes`));
          req.pause();
          return;
        }
        chunks.push(c);
      });
      req.on('end', () => finish(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, n)));
      req.on('error', () =>
        finish(new Refusal(400, 'aborted', 'request aborted before the body was complete')),
      );
      req.on('aborted', () =>
        finish(new Refusal(400, 'aborted', 'request aborted before the body was complete')),
      );
    });
  }

  private async decode(
    req: IncomingMessage,
    raw: Buffer,
  ): Promise<{ bytes: Uint8Array; count: number } | Refusal> {
    const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase().trim();
    let body = raw;
    if (encoding === 'gzip') {
      try {
        body = await gunzipBody(raw, this.opts.maxBodyBytes);
      } catch (e) {
        const code = (e as { code?: string }).code;
        if (code === 'ERR_BUFFER_TOO_LARGE')
          return new Refusal(
            413,
            'too_large',
            `decompressed body over max_body_size ${this.opts.maxBodyBytes} bytes`,
          );
        return new Refusal(400, 'malformed', `gzip body could not be decompressed: ${(e as Error).message}`);
      }
    } else if (encoding !== 'identity' && encoding !== '') {
      return new Refusal(415, 'encoding', `Content-Encoding "${encoding}" not supported (gzip, identity)`);
    }
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (type === BINARY_CONTENT_TYPE) {
      try {
        // Checked as strictly as a destination's decodeBatch, without building the metrics.
        const count = validateBatch(body);
        if (count === 0) return new Refusal(400, 'malformed', 'batch holds no metric');
        return { bytes: body, count };
      } catch (e) {
        return new Refusal(400, 'malformed', (e as Error).message);
      }
    }
    if (type === 'text/plain' || type === '') {
      const r = parseLineProtocol(body);
      if (r.errors.length > 0) {
        const first = r.errors.slice(0, 3).map((x) => x.message);
        return new Refusal(
          400,
          'malformed',
          `line protocol: ${r.errors.length} bad line(s): ${first.join('; ')}`,
        );
      }
      if (r.metrics.length === 0) return new Refusal(400, 'malformed', 'batch holds no metric');
      return { bytes: encodeBatch(r.metrics as Metric[]), count: r.metrics.length };
    }
    return new Refusal(
      415,
      'encoding',
      `Content-Type "${type}" not supported (${BINARY_CONTENT_TYPE}, text/plain)`,
    );
  }

  private answer(res: ServerResponse, r: Refusal, req?: IncomingMessage, agent?: string): void {
    this.rejected.add(1, { reason: r.reason });
    const fields = {
      ...(r.status === 401 ? { code: ErrorCode.AUTH } : r.status === 400 ? { code: ErrorCode.PARSE } : {}),
      status: r.status,
      reason: r.reason,
      agent,
      remote: req?.socket.remoteAddress,
      detail: r.message,
    };
    this.throttle.warn(r.reason, fields, 'batch refused');
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (r.status === 429 || r.status === 503)
      headers['retry-after'] = String(Math.max(1, Math.ceil(this.opts.retryAfterMs / 1000)));
    // A body not read to its end: close the connection rather than read what is left.
    if (req !== undefined && !req.readableEnded) headers.connection = 'close';
    res.writeHead(r.status, headers);
    res.end(JSON.stringify({ error: r.message }));
  }
}
