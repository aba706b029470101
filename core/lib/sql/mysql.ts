/**
 * MySQL and MariaDB through `mysql2`: a pool whose sessions run in UTC. BIGINT and DECIMAL come
 * back as text and dates as the server's text, so integers of any size and DATETIME(6) stay exact;
 * the column's type code and UNSIGNED flag give its kind.
 */
import mysql from 'mysql2/promise';
import type { FieldPacket, Pool, PoolOptions } from 'mysql2/promise';
import type { Cell, Column, ColumnKind, QueryResult, SqlConnectOptions, SqlDriver } from './driver.ts';
import { intCell, nodeTls } from './driver.ts';

const UNSIGNED_FLAG = 32;
const INT_TYPES = new Set([1, 2, 3, 8, 9, 13]); // TINY SHORT LONG LONGLONG INT24 YEAR
const FLOAT_TYPES = new Set([0, 4, 5, 246]); // DECIMAL FLOAT DOUBLE NEWDECIMAL
const TIME_TYPES = new Set([7, 10, 12, 14]); // TIMESTAMP DATE DATETIME NEWDATE

function kindOf(f: FieldPacket): ColumnKind {
  const type = f.columnType ?? f.type ?? -1;
  if (INT_TYPES.has(type)) {
    const unsigned = typeof f.flags === 'number' && (f.flags & UNSIGNED_FLAG) !== 0;
    return unsigned ? 'uint' : 'int';
  }
  if (FLOAT_TYPES.has(type)) return 'float';
  if (TIME_TYPES.has(type)) return 'time';
  return 'string';
}

function cell(v: unknown, kind: ColumnKind): Cell {
  if (v === null || v === undefined) return null;
  if (kind === 'int' || kind === 'uint') return typeof v === 'number' ? v : intCell(String(v));
  if (kind === 'float') return typeof v === 'number' ? v : Number(v);
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (typeof v === 'object') return JSON.stringify(v);
  return v as Cell;
}

interface CallbackConnection {
  query(sql: string, cb: (e: Error | null) => void): void;
}

/** A pool of MySQL/MariaDB sessions. */
export class MysqlDriver implements SqlDriver {
  private readonly pool: Pool;

  constructor(o: SqlConnectOptions, onError: (e: Error) => void) {
    const opts: PoolOptions = {
      host: o.host,
      port: o.port,
      socketPath: o.socketPath,
      user: o.user,
      password: o.password,
      database: o.database === '' ? undefined : o.database,
      ssl: o.tls === undefined ? undefined : (nodeTls(o.tls) as PoolOptions['ssl']),
      connectTimeout: o.connectTimeoutMs,
      connectionLimit: o.maxConnections,
      maxIdle: o.maxConnections,
      idleTimeout: 30_000,
      supportBigNumbers: true,
      bigNumberStrings: true,
      dateStrings: true,
      rowsAsArray: true,
      connectAttributes: { program_name: o.applicationName },
    };
    this.pool = mysql.createPool(opts);
    // Each new session: UTC, so TIMESTAMP columns read the same wherever the server runs.
    // The event hands over the callback-style connection, whatever the promise typings say.
    this.pool.on('connection', (conn) => {
      (conn as unknown as CallbackConnection).query("SET time_zone = '+00:00'", (e: Error | null) => {
        if (e !== null) onError(e);
      });
    });
  }

  placeholder(): string {
    return '?';
  }

  async query(sql: string, params: Cell[], timeoutMs: number): Promise<QueryResult> {
    const [rows, fields] = await this.pool.query({ sql, values: params, timeout: timeoutMs });
    if (!Array.isArray(fields) || fields.length === 0) return { columns: [], rows: [] };
    const columns: Column[] = (fields as FieldPacket[]).map((f) => ({ name: f.name, kind: kindOf(f) }));
    const out = (rows as unknown[][]).map((row) => row.map((v, i) => cell(v, columns[i].kind)));
    return { columns, rows: out };
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
