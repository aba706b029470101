import { z } from 'zod';
import { duration, size } from '../../../core/config/duration.ts';

/** Config of the archive output. */
export const archiveConfig = z.strictObject({
  dir: z
    .string()
    .default('')
    .describe('Archive directory (cold storage); empty means <data_dir>/state/<plugin label>/archive.'),
  stream: z
    .string()
    .regex(/^[A-Za-z0-9_.-]*$/, 'letters, digits, "_", "." and "-" only')
    .default('')
    .describe(
      'Name of this archive stream: its files go to <dir>/<stream>/ (empty: the alias, or "archive"). One stream per route.',
    ),
  formats: z
    .array(z.enum(['lp_gz', 'parquet']))
    .min(1)
    .default(['lp_gz', 'parquet'])
    .describe('Files written per period: lp_gz (gzip line protocol, replayable) and/or parquet (columnar).'),
  period: duration
    .prefault('1h')
    .refine((ms) => ms >= 1000, 'at least 1s')
    .describe(
      'Rotation period, in metric time: one file per format per period, cut at multiples of it (UTC).',
    ),
  grace: duration
    .prefault('1m')
    .describe(
      'A period is finished this long after it ends, so metrics that arrive a little late still go into it.',
    ),
  max_open_periods: z
    .number()
    .int()
    .min(1)
    .default(24)
    .describe('Periods open at once (a backfill over more finishes the oldest first).'),
  max_age: duration
    .prefault('0s')
    .describe('Delete archive files whose period ended longer ago than this (0 = keep forever).'),
  max_file_size: size
    .prefault('64MiB')
    .describe(
      'Cut a part early when the open period holds this much line protocol (bounds the Parquet build).',
    ),
  fsync: z
    .boolean()
    .default(true)
    .describe('fsync the open period after every write (a write counts as done once durable).'),
  parquet_time_unit: z
    .enum(['us', 'ns'])
    .default('us')
    .describe(
      'Parquet time column: us (TIMESTAMP adjusted to UTC, read by Spark, DuckDB, pandas) or ns (exact, not UTC-adjusted).',
    ),
  gzip_level: z
    .number()
    .int()
    .min(1)
    .max(9)
    .default(6)
    .describe('gzip level of lp_gz files (1 fast .. 9 small).'),
});

export type ArchiveConfig = z.output<typeof archiveConfig>;
