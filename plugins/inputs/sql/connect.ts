/**
 * From the sql input's config to a driver: the dsn URL (or SQLite path) with the password and
 * TLS options applied.
 */
import fs from 'node:fs';
import type { SqlConnectOptions, SqlDriver, SqlTls } from '../../../core/lib/sql/driver.ts';
import { MysqlDriver } from '../../../core/lib/sql/mysql.ts';
import { PgDriver } from '../../../core/lib/sql/pg.ts';
import { SqliteDriver } from '../../../core/lib/sql/sqlite.ts';
import { ErrorCode, VivaError } from '../../../core/model/errors/index.ts';
import type { SqlConfig } from './config.ts';

/** The driver family of a configured driver name. */
export function family(driver: SqlConfig['driver']): 'postgres' | 'mysql' | 'sqlite' {
  if (driver === 'mysql' || driver === 'mariadb') return 'mysql';
  return driver === 'sqlite' ? 'sqlite' : 'postgres';
}

const SSLMODE: Record<string, SqlConfig['tls']> = {
  disable: 'disable',
  allow: 'disable',
  prefer: 'require',
  require: 'require',
  'verify-ca': 'verify-ca',
  'verify-full': 'verify-full',
};

function tlsOptions(
  cfg: Pick<SqlConfig, 'tls' | 'tls_ca' | 'tls_cert' | 'tls_key'>,
  sslmode: string | null,
): SqlTls | undefined {
  const mode = cfg.tls ?? (sslmode === null ? 'disable' : SSLMODE[sslmode]);
  if (mode === undefined) throw new VivaError(ErrorCode.CONFIG_INVALID, `unsupported sslmode "${sslmode}"`);
  if (mode === 'disable') return undefined;
  const read = (f: string | undefined): string | undefined =>
    f === undefined ? undefined : fs.readFileSync(f, 'utf8');
  return {
    verify: mode === 'require' ? 'none' : mode === 'verify-ca' ? 'ca' : 'full',
    ca: read(cfg.tls_ca),
    cert: read(cfg.tls_cert),
    key: read(cfg.tls_key),
  };
}

/** Connection options of a postgres:// or mysql:// URL. */
export function connectOptions(
  cfg: Pick<
    SqlConfig,
    'dsn' | 'password' | 'tls' | 'tls_ca' | 'tls_cert' | 'tls_key' | 'connect_timeout' | 'max_connections'
  >,
  fam: 'postgres' | 'mysql',
): SqlConnectOptions {
  if (!URL.canParse(cfg.dsn))
    throw new VivaError(ErrorCode.CONFIG_INVALID, `dsn is not a URL like ${fam}://user@host/db`);
  const u = new URL(cfg.dsn);
  const q = u.searchParams;
  const socket = q.get('host') ?? q.get('socket');
  const dec = (s: string): string => decodeURIComponent(s);
  return {
    host: u.hostname === '' ? '127.0.0.1' : u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port === '' ? (fam === 'postgres' ? 5432 : 3306) : Number(u.port),
    socketPath: socket !== null && socket.startsWith('/') ? socket : undefined,
    user: dec(u.username) || (fam === 'postgres' ? 'postgres' : 'root'),
    password: cfg.password ?? (u.password !== '' ? dec(u.password) : undefined),
    database: dec(u.pathname.slice(1)) || (fam === 'postgres' ? 'postgres' : ''),
    tls: tlsOptions(cfg, q.get('sslmode')),
    connectTimeoutMs: cfg.connect_timeout,
    maxConnections: cfg.max_connections,
    applicationName: q.get('application_name') ?? 'viva',
  };
}

/** The SQLite file of a dsn: a path, or a file: URL. */
export function sqliteFile(dsn: string): string {
  return dsn.startsWith('file:')
    ? decodeURIComponent(dsn.replace(/^file:(\/\/)?/, '').replace(/\?.*$/, ''))
    : dsn;
}

/** Opens the configured driver (connections open on first query). */
export function openDriver(cfg: SqlConfig, onError: (e: Error) => void): SqlDriver {
  const fam = family(cfg.driver);
  if (fam === 'sqlite') return new SqliteDriver(sqliteFile(cfg.dsn), cfg.read_only);
  const o = connectOptions(cfg, fam);
  return fam === 'postgres' ? new PgDriver(o, cfg.query_timeout, onError) : new MysqlDriver(o, onError);
}

/** The database's identity for the marks' keys: driver, user, host, port, database (no password). */
export function sourceOf(cfg: SqlConfig): string {
  const fam = family(cfg.driver);
  if (fam === 'sqlite') return `sqlite:${sqliteFile(cfg.dsn)}`;
  if (!URL.canParse(cfg.dsn)) return `${fam}:`;
  const o = connectOptions({ ...cfg, tls: 'disable' }, fam);
  return `${fam}://${o.user}@${o.socketPath ?? `${o.host}:${o.port}`}/${o.database}`;
}
