import { z } from 'zod';
import { duration } from '../../../core/config/duration.ts';
import { secret } from '../../../core/config/secret.ts';

/** One configured query: its rows become metrics. */
export const queryConfig = z.strictObject({
  sql: z.string().min(1).describe('The SQL to run (simple query protocol; one or more statements).'),
  measurement: z.string().min(1).describe('Measurement name of the metrics made from its rows.'),
  tag_columns: z.array(z.string()).default([]).describe('Columns that become tags.'),
  field_columns: z
    .array(z.string())
    .default([])
    .describe('Columns that become fields (default: every column not a tag or the time).'),
  time_column: z
    .string()
    .optional()
    .describe(
      'Column holding the metric time (timestamp, timestamptz, date or epoch seconds); default: now.',
    ),
});

export type QueryConfig = z.output<typeof queryConfig>;

/** Used when no query is configured: per-database activity, like Telegraf's postgresql input. */
export const DEFAULT_QUERY: QueryConfig = {
  sql:
    'SELECT datname AS db, numbackends, xact_commit, xact_rollback, blks_read, blks_hit, tup_returned, tup_fetched, ' +
    'tup_inserted, tup_updated, tup_deleted, conflicts, temp_files, temp_bytes, deadlocks, blk_read_time, ' +
    'blk_write_time FROM pg_stat_database WHERE datname IS NOT NULL',
  measurement: 'postgresql',
  tag_columns: ['db'],
  field_columns: [],
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
    .array(queryConfig)
    .default([])
    .describe(
      'Queries, as [[inputs.postgresql.query]] tables with sql, measurement, tag_columns, field_columns, time_column; none = pg_stat_database per database.',
    ),
  connect_timeout: duration.prefault('5s').describe('Deadline of connecting and authenticating.'),
  query_timeout: duration
    .prefault('5s')
    .describe('Deadline of one query; the connection is reopened after one.'),
  server_tag: z.boolean().default(false).describe('Add a "server" tag with host:port.'),
  tls_ca: z.string().optional().describe('PEM CA file for sslmode=verify-ca / verify-full.'),
});

export type PostgresqlConfig = z.output<typeof postgresqlConfig>;
