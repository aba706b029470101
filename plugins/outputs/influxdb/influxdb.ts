/**
 * The influxdb output: line protocol to the InfluxDB 1.x `/write` API. A write goes to the URL that
 * answered last and fails over to the next ones in order; the core retries the batch when none
 * takes it. Responses map onto the core's rules (see README): 400 partial writes accept what was
 * stored and drop what InfluxDB refused, a missing database is created (unless
 * skip_database_creation) and the request sent again, 413 halves the batch.
 */
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import { WriteError, parseRetryAfter } from '../../../core/model/errors/errors.ts';
import type { Serializer } from '../../../core/format/types.ts';
import { authHeaders, HttpSender, type HttpAnswer } from '../../../core/lib/http/client.ts';
import { Failover } from '../../../core/lib/http/failover.ts';
import type { Metric } from '../../../core/model/metric/metric.ts';
import type { OutputInstance, PluginContext } from '../../../core/plugin/types.ts';
import type { InfluxdbConfig } from './config.ts';
import { isPartialWrite, rejectedMetrics } from '../../../core/lib/influx/rejections.ts';
import { tooLarge, writeHalving } from '../../../core/lib/influx/split.ts';
import { redactUrl } from '../../../core/model/redact.ts';
import { provision, type ProvisionSpec, type QueryResult } from '../../../core/lib/influx/provision.ts';

const gzip = promisify(gzipCb);

/** Precision as the v1 API spells it. */
const PRECISION = { ns: 'ns', us: 'u', ms: 'ms', s: 's' } as const;

/** The answer to one request. */
/** The message of an InfluxDB error body (`{"error": "..."}`), or the raw text. */
function errorText(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: unknown };
    if (typeof body.error === 'string') return body.error;
  } catch {
    // not JSON: use the text as it is
  }
  return text.slice(0, 500);
}

/** Metrics as InfluxDB 1.x before 1.8 accepts them: unsigned fields become integers (copies, never the shared metric). */
export function withoutUnsigned(metrics: Metric[]): Metric[] {
  let out: Metric[] | undefined;
  for (let i = 0; i < metrics.length; i++) {
    const types = metrics[i].fieldTypes;
    if (types === null || !Object.values(types).includes('uint')) continue;
    out ??= metrics.slice();
    const copy = metrics[i].clone();
    for (const [k, t] of Object.entries(types))
      if (t === 'uint') copy.setInt(k, copy.fields[k] as number | bigint, 'int');
    out[i] = copy;
  }
  return out ?? metrics;
}

export class InfluxdbOutput implements OutputInstance {
  private readonly cfg: InfluxdbConfig;
  private readonly serializer: Serializer;
  private readonly ctx: PluginContext;
  private readonly queryHeaders: Record<string, string>;
  private readonly http: HttpSender;
  private readonly failover: Failover;
  /** `provision` was applied to at least one server since this instance was created. */
  private provisioned = false;

  constructor(cfg: InfluxdbConfig, serializer: Serializer, ctx: PluginContext) {
    this.cfg = cfg;
    this.serializer = serializer;
    this.ctx = ctx;
    this.failover = new Failover(cfg.urls, ctx.log, 'influxdb', 'write');
    const h: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8', ...cfg.http_headers };
    Object.assign(h, authHeaders({ username: cfg.username, password: cfg.password }));
    this.queryHeaders = { ...h, 'content-type': 'application/x-www-form-urlencoded' };
    if (cfg.content_encoding === 'gzip') h['content-encoding'] = 'gzip';
    this.http = new HttpSender({ tls: cfg, headers: h, timeoutMs: cfg.timeout, connectTimeout: true });
  }

  async connect(): Promise<void> {
    this.http.connect();
    if (this.cfg.provision !== undefined) {
      // A server down at start fails no start: write() provisions first, and retries until it can.
      await this.provisionAll().catch(() => undefined);
      return;
    }
    if (this.cfg.skip_database_creation) return;
    for (const url of this.cfg.urls) {
      try {
        await this.createDatabase(url);
        return;
      } catch (e) {
        this.ctx.log.warn(
          { err: e instanceof Error ? e.message : String(e), url: redactUrl(url) },
          'could not create the database yet',
        );
      }
    }
  }

  async write(metrics: Metric[]): Promise<void> {
    if (metrics.length === 0) return;
    if (this.cfg.provision !== undefined && !this.provisioned) {
      try {
        await this.provisionAll();
      } catch (e) {
        throw WriteError.retryable(e instanceof Error ? e.message : String(e));
      }
    }
    const batch = this.cfg.influx_uint_support ? metrics : withoutUnsigned(metrics);
    await writeHalving(batch, (part) => this.writeFailingOver(part));
  }

  /** Sends to the URL that answered last, then to the others in order while the failure is retryable. */
  private async writeFailingOver(metrics: Metric[]): Promise<void> {
    let body = this.serializer.serialize(metrics);
    if (body.length === 0) return;
    if (this.cfg.content_encoding === 'gzip') body = await gzip(body);
    await this.failover.send((url) => this.writeTo(url, body, metrics));
  }

  /** One server: undefined when written; creates a missing database once and sends again. */
  private async writeTo(url: string, body: Buffer, metrics: Metric[]): Promise<WriteError | undefined> {
    let answer = await this.post(url, body);
    if (answer instanceof WriteError) return answer;
    if (
      answer.status === 404 &&
      !this.cfg.skip_database_creation &&
      errorText(answer.text).includes('database not found')
    ) {
      try {
        await this.createDatabase(url);
      } catch (e) {
        return WriteError.retryable(
          `database "${this.cfg.database}" is missing and could not be created: ${e instanceof Error ? e.message : String(e)}`,
        );
      }
      answer = await this.post(url, body);
      if (answer instanceof WriteError) return answer;
    }
    return this.failure(answer, metrics);
  }

  private writeUrl(base: string): string {
    const u = new URL('write', base.endsWith('/') ? base : base + '/');
    u.searchParams.set('db', this.cfg.database);
    if (this.cfg.retention_policy !== '') u.searchParams.set('rp', this.cfg.retention_policy);
    u.searchParams.set('precision', PRECISION[this.cfg.precision]);
    return u.toString();
  }

  private post(url: string, body: Buffer): Promise<HttpAnswer | WriteError> {
    return this.http.send(this.writeUrl(url), body);
  }

  /** Maps a response to the WriteError the core understands; undefined when delivered. */
  private failure(a: HttpAnswer, metrics: Metric[]): WriteError | undefined {
    if (a.status >= 200 && a.status < 300) return undefined;
    const message = errorText(a.text);
    const what = `InfluxDB answered ${a.status}${message !== '' ? `: ${message}` : ''}`;
    switch (a.status) {
      case 400: {
        if (!isPartialWrite(message)) return WriteError.permanent(what);
        const rejected = rejectedMetrics(message, metrics, this.cfg.precision);
        if (rejected.length === 0) return undefined;
        if (rejected.length >= metrics.length) return WriteError.permanent(what);
        return WriteError.partial(what, { rejected });
      }
      case 401:
      case 403:
        return WriteError.retryable(
          `${what} (check username and password; retrying until the credentials work)`,
        );
      case 413: {
        const err = WriteError.permanent(`${what} (request too large)`);
        tooLarge.add(err);
        return err;
      }
      default:
        return WriteError.retryable(what, { retryAfterMs: parseRetryAfter(a.retryAfter) });
    }
  }

  /** Applies `provision` to every server; fails (connect is retried) when none could be provisioned. */
  private async provisionAll(): Promise<void> {
    const p = this.cfg.provision;
    if (p === undefined) return;
    const spec: ProvisionSpec = {
      database: this.cfg.database,
      retentionPolicies: p.retention_policies.map((r) => ({
        name: r.name,
        duration: r.duration,
        shardDuration: r.shard_duration,
        replication: r.replication,
        default: r.default,
      })),
      continuousQueries: p.continuous_queries.map((c) => ({
        name: c.name,
        query: c.query,
        resampleEvery: c.resample_every,
        resampleFor: c.resample_for,
      })),
    };
    let lastError: unknown;
    let done = 0;
    for (const url of this.cfg.urls) {
      try {
        const result = await provision((q) => this.query(url, q), spec);
        this.ctx.log.info(
          { url: redactUrl(url), database: spec.database, ...result },
          'database provisioned',
        );
        done++;
      } catch (e) {
        lastError = e;
        this.ctx.log.warn(
          { err: e instanceof Error ? e.message : String(e), url: redactUrl(url) },
          'could not provision the database yet',
        );
      }
    }
    if (done === 0) throw lastError as Error;
    this.provisioned = true;
  }

  /** One InfluxQL statement on /query; rejects on a transport error or an error in the answer. */
  private async query(url: string, q: string): Promise<QueryResult> {
    const a = await this.http.send(
      new URL('query', url.endsWith('/') ? url : url + '/').toString(),
      new URLSearchParams({ q, db: this.cfg.database }).toString(),
      { headers: this.queryHeaders },
    );
    if (a instanceof WriteError) throw new Error(`${q}: ${a.message}`);
    let body: { error?: string; results?: { error?: string; series?: QueryResult['series'] }[] };
    try {
      body = JSON.parse(a.text) as typeof body;
    } catch {
      throw new Error(`${q} answered ${a.status}: ${a.text.slice(0, 200)}`);
    }
    const err = body.error ?? body.results?.[0]?.error;
    if (a.status !== 200 || err !== undefined)
      throw new Error(`${q} answered ${a.status}: ${err ?? a.text.slice(0, 200)}`);
    return { series: body.results?.[0]?.series ?? [] };
  }

  /** CREATE DATABASE (a no-op when it exists). */
  private async createDatabase(url: string): Promise<void> {
    const q = `CREATE DATABASE "${this.cfg.database.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
    const a = await this.http.send(
      new URL('query', url.endsWith('/') ? url : url + '/').toString(),
      new URLSearchParams({ q }).toString(),
      { headers: this.queryHeaders },
    );
    if (a instanceof WriteError) throw new Error(`${q}: ${a.message}`);
    if (a.status !== 200 || a.text.includes('"error"'))
      throw new Error(`${q} answered ${a.status}: ${errorText(a.text)}`);
    this.ctx.log.info({ url: redactUrl(url), database: this.cfg.database }, 'database ready');
  }

  close(): Promise<void> {
    return this.http.close();
  }
}
