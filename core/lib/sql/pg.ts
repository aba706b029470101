/**
 * PostgreSQL through `pg` (node-postgres): a pool whose sessions run in UTC with a server-side
 * statement_timeout. Every value comes back as the server's text (no type parsers), so integers
 * of any size and timestamps to the microsecond stay exact; the column's type OID gives its kind.
 */
import pg from 'pg';
import type { Cell, Column, ColumnKind, QueryResult, SqlConnectOptions, SqlDriver } from './driver.ts';
import { intCell, nodeTls } from './driver.ts';

const KIND_BY_OID: Record<number, ColumnKind> = {
  16: 'bool',
  20: 'int',
  21: 'int',
  23: 'int',
  26: 'uint',
  28: 'uint',
  700: 'float',
  701: 'float',
  1700: 'float',
  1082: 'time',
  1114: 'time',
  1184: 'time',
};

/** Every type as its text: the kinds are applied by cell(). */
const rawTypes = { getTypeParser: () => (text: string) => text };

function cell(text: string | null, kind: ColumnKind): Cell {
  if (text === null) return null;
  switch (kind) {
    case 'bool':
      return text === 't';
    case 'int':
    case 'uint':
      return intCell(text);
    case 'float':
      return Number(text);
    default:
      return text;
  }
}

/** A pool of PostgreSQL sessions. */
export class PgDriver implements SqlDriver {
  private readonly pool: pg.Pool;
  private readonly onError: (e: Error) => void;

  constructor(o: SqlConnectOptions, statementTimeoutMs: number, onError: (e: Error) => void) {
    this.onError = onError;
    this.pool = new pg.Pool({
      host: o.socketPath ?? o.host,
      port: o.port,
      user: o.user,
      password: o.password,
      database: o.database,
      ssl: o.tls === undefined ? false : nodeTls(o.tls),
      connectionTimeoutMillis: o.connectTimeoutMs,
      max: o.maxConnections,
      idleTimeoutMillis: 30_000,
      application_name: o.applicationName,
      options: '-c TimeZone=UTC',
      statement_timeout: statementTimeoutMs,
      // The client gives up a little after the server would have cancelled the statement.
      query_timeout: statementTimeoutMs + 1000,
      types: rawTypes,
    });
    // An idle session that breaks (server restart) is dropped by the pool; the error must not
    // crash the process, the next query opens a new one.
    this.pool.on('error', (e) => this.onError(e));
  }

  placeholder(i: number): string {
    return `$${i + 1}`;
  }

  // The deadline is the pool's statement_timeout, set once from the same option.
  async query(sql: string, params: Cell[], _timeoutMs: number): Promise<QueryResult> {
    // Without parameters pg uses the simple protocol, which allows several statements.
    const values =
      params.length === 0 ? undefined : params.map((p) => (typeof p === 'bigint' ? p.toString() : p));
    const r: unknown = await this.pool.query({ text: sql, values, rowMode: 'array' });
    // A multi-statement text returns one result per statement: use the last with columns.
    const results = (Array.isArray(r) ? r : [r]) as pg.QueryArrayResult[];
    const last = results.filter((x) => x.fields.length > 0).pop();
    if (last === undefined) return { columns: [], rows: [] };
    const columns: Column[] = last.fields.map((f) => ({
      name: f.name,
      kind: KIND_BY_OID[f.dataTypeID] ?? 'string',
    }));
    const rows = last.rows.map((row) => row.map((v, i) => cell(v as string | null, columns[i].kind)));
    return { columns, rows };
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
