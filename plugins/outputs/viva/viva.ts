/**
 * The viva output: sends batches to VIVA collectors (docs/COLLECTOR_PROTOCOL.md). A write is cut
 * into bodies of at most max_body_metrics metrics, up to max_in_flight of them POSTed at once over
 * every write in flight (the core calls write() again, up to max_in_flight times, while earlier
 * writes await their answer: a write keeps its state in its own outcome); each
 * body goes to one healthy collector, failing over to the next in the same write; a collector that
 * failed is skipped for a backoff. A body the collector finds too large (413) is sent again in two
 * halves. What became of each metric is kept by its index, so only a failed body is retried.
 */
import os from 'node:os';
import { promisify } from 'node:util';
import { crc32, gzip as gzipCb } from 'node:zlib';
import { encodeBatch } from '../../../core/format/binary/index.ts';
import { createSerializer } from '../../../core/format/registry.ts';
import { LogThrottle } from '../../../core/engine/telemetry/log-throttle.ts';
import { authHeaders, httpStatusError, HttpSender } from '../../../core/lib/http/client.ts';
import { ErrorCode } from '../../../core/model/errors/codes.ts';
import { WriteError, type RejectedMetric } from '../../../core/model/errors/errors.ts';
import type { Metric } from '../../../core/model/metric/metric.ts';
import { redactUrl } from '../../../core/model/redact.ts';
import type { OutputInstance, PluginContext } from '../../../core/plugin/types.ts';
import type { VivaConfig } from './config.ts';
import { Endpoints, type Endpoint } from './endpoints.ts';

const gzip = promisify(gzipCb);

/** Content-Type of the binary batch format. */
export const BINARY_CONTENT_TYPE = 'application/vnd.viva.batch';

/**
 * The X-Viva-Batch id of a body: derived from its content only, so a retry of the same batch (even
 * after a restart that re-reads a disk buffer) carries the same id and the collector drops repeats.
 */
export function batchId(body: Buffer, count: number): string {
  return `${crc32(body).toString(16).padStart(8, '0')}-${body.length}-${count}`;
}

/** What became of a write so far, by index in the written batch. */
interface Outcome {
  delivered: number;
  rejected: RejectedMetric[];
  retry: number[];
  retryErr?: WriteError;
  permanentErr?: WriteError;
}

/** Metrics sent together in one body, and their indexes in the written batch. */
interface Piece {
  metrics: Metric[];
  index: number[];
}

/** A collector's answer that asks for the batch in smaller pieces. */
const TOO_LARGE = Symbol('too large');

export class VivaOutput implements OutputInstance {
  private readonly cfg: VivaConfig;
  private readonly ctx: PluginContext;
  private readonly encode: (metrics: readonly Metric[]) => Buffer;
  private readonly headers: Record<string, string>;
  private readonly http: HttpSender;
  private readonly endpoints: Endpoints;
  private readonly authLog: LogThrottle;
  private readonly countAuthFailure: (value?: number, attrs?: Record<string, string>) => void;
  /**
   * Bodies sent whose answer did not take them (refused for now, or lost: the collector may hold
   * them), by their first metric; weak, so metrics the core drops are forgotten with them.
   */
  private readonly unanswered = new WeakMap<Metric, Metric[]>();
  /** Writes the core may run at once: each holds at least one of the max_in_flight body slots. */
  readonly maxConcurrentWrites: number;
  /** Bodies being sent now, over every write in flight (at most max_in_flight). */
  private sending = 0;
  /** Bodies waiting for a slot, first come first served. */
  private readonly slotWaiters: (() => void)[] = [];

  constructor(cfg: VivaConfig, ctx: PluginContext) {
    this.cfg = cfg;
    this.ctx = ctx;
    this.maxConcurrentWrites = cfg.max_in_flight;
    let contentType = BINARY_CONTENT_TYPE;
    if (cfg.data_format === 'influx') {
      const s = createSerializer('influx', { precision: 'ns' });
      this.encode = (m) => s.serialize(m);
      contentType = s.contentType;
    } else this.encode = encodeBatch;
    this.headers = {
      'content-type': contentType,
      'x-viva-agent': cfg.agent_id !== '' ? cfg.agent_id : os.hostname(),
      ...authHeaders(cfg),
    };
    if (cfg.content_encoding === 'gzip') this.headers['content-encoding'] = 'gzip';
    this.http = new HttpSender({
      tls: cfg,
      headers: this.headers,
      timeoutMs: cfg.timeout,
      connectTimeout: true,
      what: 'batch',
    });
    const up = ctx.metrics.gauge('endpoint_up', 'Whether a collector is in use (1) or in backoff (0).');
    this.endpoints = new Endpoints(cfg.urls, {
      balance: cfg.balance,
      retryMinMs: cfg.retry_min,
      retryMaxMs: Math.max(cfg.retry_min, cfg.retry_max),
      clock: ctx.clock,
      log: ctx.log,
      setUp: (url, isUp) => up(isUp ? 1 : 0, { url: redactUrl(url) }),
    });
    this.authLog = new LogThrottle(ctx.log);
    this.countAuthFailure = ctx.metrics.counter(
      'auth_failures',
      'Batches a collector refused for their credentials (401, 403).',
    );
  }

  connect(): Promise<void> {
    this.http.connect();
    this.endpoints.init();
    return Promise.resolve();
  }

  async write(metrics: Metric[]): Promise<void> {
    const out: Outcome = { delivered: 0, rejected: [], retry: [] };
    const pieces = this.cut(metrics);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < pieces.length) {
        const p = pieces[next++];
        await this.slot();
        try {
          await this.deliver(p.metrics, p.index, out);
        } finally {
          this.freeSlot();
        }
      }
    };
    const workers = Math.min(this.cfg.max_in_flight, pieces.length);
    await Promise.all(Array.from({ length: workers }, worker));
    if (out.rejected.length === 0 && out.retry.length === 0) return;
    out.retry.sort((a, b) => a - b);
    out.rejected.sort((a, b) => a.index - b.index);
    if (out.delivered === 0 && out.rejected.length === 0 && out.retryErr !== undefined) throw out.retryErr;
    if (out.delivered === 0 && out.retry.length === 0)
      throw out.permanentErr ?? WriteError.permanent(out.rejected[0].reason);
    throw WriteError.partial(
      `collector took ${out.delivered} of ${metrics.length} metrics` +
        (out.retryErr !== undefined ? `; ${out.retryErr.message}` : ''),
      { rejected: out.rejected, retry: out.retry, retryAfterMs: out.retryErr?.retryAfterMs },
    );
  }

  close(): Promise<void> {
    return this.http.close();
  }

  /** Waits for one of the max_in_flight body slots shared by every write in flight. */
  private slot(): Promise<void> | void {
    if (this.sending < this.cfg.max_in_flight) {
      this.sending++;
      return;
    }
    return new Promise((resolve) => this.slotWaiters.push(resolve));
  }

  /** Hands the slot to the next body waiting, or frees it. */
  private freeSlot(): void {
    const next = this.slotWaiters.shift();
    if (next !== undefined) next();
    else this.sending--;
  }

  /**
   * The bodies of a write: a body sent before without an answer that took it (the core buffered its
   * metrics again) is sent again whole, so it keeps its batch id and a collector that did store it
   * drops the repeat; the other metrics go in pieces of max_body_metrics, in batch order.
   */
  private cut(metrics: Metric[]): Piece[] {
    const per = this.cfg.max_body_metrics;
    const pieces: Piece[] = [];
    let run: Piece = { metrics: [], index: [] };
    const endRun = (): void => {
      for (let k = 0; k < run.metrics.length; k += per)
        pieces.push({ metrics: run.metrics.slice(k, k + per), index: run.index.slice(k, k + per) });
      run = { metrics: [], index: [] };
    };
    for (let i = 0; i < metrics.length;) {
      const body = this.unanswered.get(metrics[i]);
      if (body !== undefined && body.every((m, k) => metrics[i + k] === m)) {
        endRun();
        pieces.push({ metrics: body, index: body.map((_, k) => i + k) });
        i += body.length;
        continue;
      }
      run.metrics.push(metrics[i]);
      run.index.push(i);
      i++;
    }
    endRun();
    return pieces;
  }

  /** Sends metrics (at `index` in the written batch), in halves when too large; records the outcome. */
  private async deliver(metrics: Metric[], index: number[], out: Outcome): Promise<void> {
    // Once no collector takes a piece, the rest waits for the core's retry rather than more attempts.
    if (out.retryErr !== undefined) {
      out.retry.push(...index);
      return;
    }
    const body = this.encode(metrics);
    const max = this.cfg.max_body_bytes;
    const tooLarge = max !== undefined && body.length > max && metrics.length > 1;
    const answer = tooLarge ? TOO_LARGE : await this.send(body, metrics.length);
    if (answer !== TOO_LARGE && answer?.kind !== 'retryable') this.unanswered.delete(metrics[0]);
    if (answer === undefined) out.delivered += metrics.length;
    else if (answer === TOO_LARGE) {
      if (metrics.length === 1) {
        out.rejected.push({
          index: index[0],
          reason: 'a single metric is too large for the collector (413)',
        });
        return;
      }
      const half = Math.ceil(metrics.length / 2);
      await this.deliver(metrics.slice(0, half), index.slice(0, half), out);
      await this.deliver(metrics.slice(half), index.slice(half), out);
    } else if (answer.kind === 'permanent') {
      out.permanentErr ??= answer;
      for (const i of index) out.rejected.push({ index: i, reason: answer.message });
    } else {
      this.unanswered.set(metrics[0], metrics);
      out.retryErr = answer;
      out.retry.push(...index);
    }
  }

  /** Posts one body to the healthy collectors in turn until one answers for good. */
  private async send(body: Buffer, count: number): Promise<WriteError | typeof TOO_LARGE | undefined> {
    const headers = { ...this.headers, 'x-viva-batch': batchId(body, count) };
    const payload =
      this.cfg.content_encoding === 'gzip' ? await gzip(body, { level: this.cfg.gzip_level }) : body;
    let last: WriteError | undefined;
    for (const e of this.endpoints.healthy()) {
      const verdict = await this.post(e, payload, headers);
      if (verdict === undefined || verdict === TOO_LARGE || verdict.kind === 'permanent') return verdict;
      last = verdict;
    }
    // Every collector failed or is in backoff: the core retries once the first one is due back.
    const wait = this.endpoints.waitMs();
    const msg = last?.message ?? `every collector is in backoff (${this.cfg.urls.length})`;
    return WriteError.retryable(msg, {
      retryAfterMs: Math.max(last?.retryAfterMs ?? 0, wait) || undefined,
      cause: last,
    });
  }

  /** One request to one collector, and what its answer means for the batch and the collector. */
  private async post(
    e: Endpoint,
    payload: Buffer,
    headers: Record<string, string>,
  ): Promise<WriteError | typeof TOO_LARGE | undefined> {
    const a = await this.http.send(`${e.url.replace(/\/+$/, '')}/v1/batch`, payload, { headers });
    if (a instanceof WriteError) {
      this.endpoints.failed(e, a.message);
      return a;
    }
    const url = redactUrl(e.url);
    const label = `collector ${url} answered`;
    if (a.status >= 200 && a.status < 300) {
      this.endpoints.succeeded(e);
      return undefined;
    }
    if (a.status === 413) {
      this.endpoints.succeeded(e);
      return TOO_LARGE;
    }
    if (a.status === 400) {
      this.endpoints.succeeded(e);
      const err = WriteError.permanent(httpStatusError(label, a.status, a.text, undefined).message);
      this.ctx.log.error({ url, err: err.message }, 'collector refused a batch as malformed');
      return err;
    }
    if (a.status === 401 || a.status === 403) {
      // A token fixed by a live reload makes the retry succeed; the token itself is never logged.
      this.endpoints.succeeded(e);
      this.countAuthFailure(1, { url });
      this.authLog.warn(
        `auth ${e.url}`,
        { code: ErrorCode.AUTH, url, status: a.status },
        'collector refused the credentials',
      );
      return WriteError.retryable(`${label} ${a.status}: check the token`);
    }
    const err = httpStatusError(label, a.status, a.text, a.retryAfter, { permanent: new Set() });
    this.endpoints.failed(e, err.message, err.retryAfterMs);
    return err;
  }
}
