import { z } from 'zod';
import { duration } from '../../../core/config/duration.ts';
import { secret } from '../../../core/config/secret.ts';
import { sqlQueryConfig, type SqlQueryConfig } from '../../../core/lib/sql/query.ts';

/** Used when no query is configured: per-database activity, like Telegraf's postgresql input. */
export const DEFAULT_QUERY: SqlQueryConfig = {
  sql:
    'SELECT datname AS db, numbackends, xact_commit, xact_rollback, blks_read, blks_hit, tup_returned, tup_fetched, ' +
    'tup_inserted, tup_updated, tup_deleted, conflicts, temp_files, temp_bytes, deadlocks, blk_read_time, ' +
    'blk_write_time FROM pg_stat_database WHERE datname IS NOT NULL',
  measurement: 'postgresql',
  tag_columns: ['db'],
  field_columns: [],
  time_format: 'unix',
  mark_start: 0,
};

const SSLMODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];

/** Config of the postgresql input. */
export const postgresqlConfig = z.strictObject({
  address: z
    .string()
    .superRefine((v, ctx) => {
      if (!/^postgres(ql)?:\/\//.test(v) || !URL.canParse(v)) {
        ctx.addIssue({
          code: 'custom',
          message: 'want a URL like postgres://user@host:5432/dbname?sslmode=disable',
        });
        return;
      }
      const mode = new URL(v).searchParams.get('sslmode') ?? 'disable';
      if (!SSLMODES.includes(mode))
        ctx.addIssue({ code: 'custom', message: `unsupported sslmode "${mode}"` });
    })
    .meta({ example: 'postgres://viva@127.0.0.1:5432/postgres?sslmode=disable' })
    .describe(
      'Connection URL: postgres://user[:password]@host[:port]/db?sslmode=disable|require|verify-full&host=/socket/dir.',
    ),
  password: secret
    .optional()
    .describe('Password (overrides one in the address; keep it in an environment variable).'),
  query: z
    .array(sqlQueryConfig)
    .default([])
    .describe(
      "Queries, as [[inputs.postgresql.query]] tables (the sql input's query keys); none = pg_stat_database per database.",
    ),
  connect_timeout: duration.prefault('5s').describe('Deadline of connecting and authenticating.'),
  query_timeout: duration
    .prefault('5s')
    .describe('Deadline of one statement (the server cancels it: statement_timeout).'),
  max_connections: z.number().int().min(1).default(2).describe('Size of the connection pool.'),
  server_tag: z.boolean().default(false).describe('Add a "server" tag with host:port.'),
  tls_ca: z.string().optional().describe('PEM CA file for sslmode=verify-ca / verify-full.'),
});

export type PostgresqlConfig = z.output<typeof postgresqlConfig>;
