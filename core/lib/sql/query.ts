/**
 * The schema of one configured SQL query, shared by the SQL inputs: its rows become metrics, and
 * with a mark column it reads incrementally (only rows past the high-water mark).
 */
import { z } from 'zod';
import { duration } from '../../config/duration.ts';

/** The token an incremental query's SQL uses where the high-water mark goes. */
export const MARK_TOKEN = '{{mark}}';

/** One configured query. */
export const sqlQueryConfig = z
  .strictObject({
    sql: z
      .string()
      .min(1)
      .describe(
        `The SQL to run; an incremental query compares its mark column with ${MARK_TOKEN} (bound as a parameter).`,
      ),
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
        'Column holding the metric time (a timestamp, a date or a number since the epoch); default: now.',
      ),
    time_format: z
      .enum(['unix', 'unix_ms', 'unix_us', 'unix_ns'])
      .default('unix')
      .describe('Unit of a numeric time column: unix (seconds), unix_ms, unix_us or unix_ns.'),
    interval: duration
      .optional()
      .describe("Run this query at most this often (default: on every gather, the input's interval)."),
    mark_column: z
      .string()
      .optional()
      .describe(
        'Column whose largest value (an id or a time) is the high-water mark, kept in the state directory across restarts.',
      ),
    mark_start: z
      .union([z.string(), z.number()])
      .default(0)
      .describe('The mark before any row was read (e.g. 0, or "1970-01-01 00:00:00" for a time column).'),
  })
  .superRefine((q, ctx) => {
    const uses = q.sql.includes(MARK_TOKEN);
    if (q.mark_column !== undefined && !uses)
      ctx.addIssue({
        code: 'custom',
        path: ['sql'],
        message: `mark_column is set but the SQL has no ${MARK_TOKEN}`,
      });
    if (q.mark_column === undefined && uses)
      ctx.addIssue({
        code: 'custom',
        path: ['mark_column'],
        message: `the SQL uses ${MARK_TOKEN}: set mark_column`,
      });
  });

export type SqlQueryConfig = z.output<typeof sqlQueryConfig>;
