/**
 * The postgresql input: runs the configured queries on one kept-open connection on every gather
 * and turns each row into a metric (tag columns, typed field columns, optional time column).
 * A broken connection is reopened on the next gather.
 */
import fs from 'node:fs';
import type tls from 'node:tls';
import { Metric } from '../../../core/model/metric/metric.ts';
import type { Accumulator, InputInstance, PluginContext } from '../../../core/plugin/types.ts';
import { DEFAULT_QUERY, type PostgresqlConfig, type QueryConfig } from './config.ts';
import { columnTime, setColumnField } from './values.ts';
import { PgConnection, type PgConnectOptions, type PgResult } from './wire.ts';

/** Connection options from the address URL and the config. */
export function connectOptions(cfg: PostgresqlConfig): PgConnectOptions {
  const u = new URL(cfg.address);
  const q = u.searchParams;
  const sslmode = q.get('sslmode') ?? 'disable';
  let tlsOpts: tls.ConnectionOptions | undefined;
  if (sslmode === 'require' || sslmode === 'prefer') tlsOpts = { rejectUnauthorized: false };
  else if (sslmode === 'verify-ca' || sslmode === 'verify-full') {
    const caFile = cfg.tls_ca ?? q.get('sslrootcert') ?? undefined;
    tlsOpts = {
      rejectUnauthorized: true,
      ca: caFile !== undefined ? fs.readFileSync(caFile) : undefined,
      // verify-ca trusts any name the CA signed.
      checkServerIdentity: sslmode === 'verify-ca' ? () => undefined : undefined,
    };
  }
  const socketHost = q.get('host');
  return {
    host: u.hostname === '' ? '127.0.0.1' : u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port === '' ? 5432 : Number(u.port),
    socketDir: socketHost !== null && socketHost.startsWith('/') ? socketHost : undefined,
    user: decodeURIComponent(u.username) || 'postgres',
    password: cfg.password ?? (u.password !== '' ? decodeURIComponent(u.password) : undefined),
    database: decodeURIComponent(u.pathname.slice(1)) || 'postgres',
    applicationName: q.get('application_name') ?? 'viva',
    connectTimeoutMs: cfg.connect_timeout,
    tls: tlsOpts,
    tlsOptional: sslmode === 'prefer',
  };
}

/** Rows of one result as metrics; returns how many rows had no usable field. */
export function rowsToMetrics(
  r: PgResult,
  q: QueryConfig,
  extraTags: Record<string, string>,
  nowMs: number,
  out: Metric[],
): number {
  const idx = new Map(r.fields.map((f, i) => [f.name, i]));
  const tagCols = q.tag_columns.filter((c) => idx.has(c)).map((c) => idx.get(c) as number);
  const timeCol = q.time_column === undefined ? -1 : (idx.get(q.time_column) ?? -1);
  const fieldNames = q.field_columns.length > 0 ? q.field_columns : r.fields.map((f) => f.name);
  const skip = new Set([...q.tag_columns, ...(q.time_column !== undefined ? [q.time_column] : [])]);
  const fieldCols = fieldNames
    .filter((c) => idx.has(c) && (q.field_columns.length > 0 || !skip.has(c)))
    .map((c) => idx.get(c) as number);
  let empty = 0;
  for (const row of r.rows) {
    const m = new Metric(q.measurement, { ...extraTags }, {}, nowMs);
    for (const i of tagCols) {
      const v = row[i];
      if (v !== null && v !== '') m.tags[r.fields[i].name] = v;
    }
    for (const i of fieldCols) {
      const v = row[i];
      if (v !== null) setColumnField(m, r.fields[i].name, v, r.fields[i].typeOid);
    }
    if (timeCol !== -1 && row[timeCol] !== null) {
      const t = columnTime(row[timeCol], r.fields[timeCol].typeOid);
      if (t !== undefined) [m.timeMs, m.timeNs] = t;
    }
    if (Object.keys(m.fields).length === 0) empty++;
    else out.push(m);
  }
  return empty;
}

export class PostgresqlInput implements InputInstance {
  private readonly cfg: PostgresqlConfig;
  private readonly ctx: PluginContext;
  private readonly queries: QueryConfig[];
  private conn: PgConnection | undefined;
  private options: PgConnectOptions | undefined;

  constructor(cfg: PostgresqlConfig, ctx: PluginContext) {
    this.cfg = cfg;
    this.ctx = ctx;
    this.queries = cfg.query.length > 0 ? cfg.query : [DEFAULT_QUERY];
  }

  private async connection(): Promise<PgConnection> {
    if (this.conn?.open === true) return this.conn;
    this.options ??= connectOptions(this.cfg);
    this.conn = await PgConnection.connect(this.options);
    return this.conn;
  }

  async gather(acc: Accumulator): Promise<void> {
    const conn = await this.connection();
    const o = this.options ?? connectOptions(this.cfg);
    const tags: Record<string, string> = this.cfg.server_tag ? { server: `${o.host}:${o.port}` } : {};
    const metrics: Metric[] = [];
    const failed: string[] = [];
    for (const q of this.queries) {
      try {
        const results = await conn.query(q.sql, this.cfg.query_timeout);
        const now = this.ctx.clock.now();
        let empty = 0;
        for (const r of results) if (r.fields.length > 0) empty += rowsToMetrics(r, q, tags, now, metrics);
        if (empty > 0) acc.reject('row without any field value', { measurement: q.measurement }, empty);
      } catch (e) {
        failed.push(`${q.measurement}: ${e instanceof Error ? e.message : String(e)}`);
        if (!conn.open) break;
      }
    }
    if (metrics.length > 0) acc.push(metrics);
    if (failed.length > 0) throw new Error(`query failed: ${failed.join('; ')}`);
  }

  async stop(): Promise<void> {
    const c = this.conn;
    this.conn = undefined;
    await c?.close();
  }
}
