import { z } from 'zod';
import { duration } from '../../../core/config/duration.ts';
import { secret } from '../../../core/config/secret.ts';
import { sqlQueryConfig } from '../../../core/lib/sql/query.ts';

/** Driver names, with the aliases Telegraf users know. */
export const DRIVERS = ['postgres', 'pgx', 'postgresql', 'mysql', 'mariadb', 'sqlite'] as const;

/** Config of the sql input. */
export const sqlConfig = z.strictObject({
  driver: z
    .enum(DRIVERS)
    .meta({ example: 'postgres' })
    .describe('Database: postgres (pgx, postgresql), mysql (mariadb) or sqlite.'),
  dsn: secret
    .meta({ example: 'postgres://viva@127.0.0.1:5432/postgres?sslmode=disable' })
    .describe(
      'Where to connect: postgres://user:pass@host:5432/db?sslmode=…, mysql://user:pass@host:3306/db, or the SQLite file path; keep it in an environment variable.',
    ),
  password: secret
    .optional()
    .describe('Password (overrides one in the dsn; keep it in an environment variable).'),
  query: z
    .array(sqlQueryConfig)
    .min(1)
    .meta({
      example: [
        {
          sql: 'SELECT datname AS db, numbackends FROM pg_stat_database',
          measurement: 'pg',
          tag_columns: ['db'],
        },
      ],
    })
    .describe(
      'Queries, as [[inputs.sql.query]] tables: sql, measurement, tag_columns, field_columns, time_column, time_format, interval, mark_column, mark_start.',
    ),
  query_timeout: duration
    .prefault('5s')
    .describe('Deadline of one statement (server-side for PostgreSQL; the lock wait for SQLite).'),
  connect_timeout: duration.prefault('5s').describe('Deadline of connecting and authenticating.'),
  max_connections: z.number().int().min(1).default(2).describe('Size of the connection pool.'),
  tls: z
    .enum(['disable', 'require', 'verify-ca', 'verify-full'])
    .optional()
    .describe(
      "TLS to the server: disable, require (unverified), verify-ca, verify-full; default: the dsn's sslmode, else disable.",
    ),
  tls_ca: z.string().optional().describe('PEM CA file for verify-ca / verify-full.'),
  tls_cert: z.string().optional().describe('PEM client certificate file.'),
  tls_key: z.string().optional().describe('PEM client key file.'),
  read_only: z.boolean().default(true).describe('Open the SQLite file read-only.'),
});

export type SqlConfig = z.output<typeof sqlConfig>;
