/** Connection options from the postgresql input's address URL and config. */
import fs from 'node:fs';
import type { SqlConnectOptions, SqlTls } from '../../../core/lib/sql/driver.ts';
import type { PostgresqlConfig } from './config.ts';

function tlsOf(sslmode: string, caFile: string | undefined): SqlTls | undefined {
  if (sslmode === 'disable' || sslmode === 'allow') return undefined;
  if (sslmode === 'require' || sslmode === 'prefer') return { verify: 'none' };
  return {
    verify: sslmode === 'verify-ca' ? 'ca' : 'full',
    ca: caFile !== undefined ? fs.readFileSync(caFile, 'utf8') : undefined,
  };
}

/** The pool's options: host, port or socket directory, user, password, database and TLS. */
export function connectOptions(cfg: PostgresqlConfig): SqlConnectOptions {
  const u = new URL(cfg.address);
  const q = u.searchParams;
  const socketHost = q.get('host');
  return {
    host: u.hostname === '' ? '127.0.0.1' : u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port === '' ? 5432 : Number(u.port),
    socketPath: socketHost !== null && socketHost.startsWith('/') ? socketHost : undefined,
    user: decodeURIComponent(u.username) || 'postgres',
    password: cfg.password ?? (u.password !== '' ? decodeURIComponent(u.password) : undefined),
    database: decodeURIComponent(u.pathname.slice(1)) || 'postgres',
    tls: tlsOf(q.get('sslmode') ?? 'disable', cfg.tls_ca ?? q.get('sslrootcert') ?? undefined),
    connectTimeoutMs: cfg.connect_timeout,
    maxConnections: cfg.max_connections,
    applicationName: q.get('application_name') ?? 'viva',
  };
}
