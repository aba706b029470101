import { z } from 'zod';
import { duration } from '../../../core/config/duration.ts';
import { templateError } from './key.ts';

/** Config of the lookup processor. */
export const lookupConfig = z
  .strictObject({
    file: z
      .string()
      .min(1)
      .meta({ example: 'conf/examples/hosts.csv' })
      .describe('CSV or JSON table; reloaded when it changes.'),
    format: z
      .enum(['auto', 'csv', 'json'])
      .default('auto')
      .describe('Table format; "auto" goes by the file extension (.json, else CSV).'),
    key: z
      .string()
      .min(1)
      .optional()
      .meta({ example: '{{host}}' })
      .describe('Key built from tags, e.g. "{{host}}" or "{{dc}}/{{host}}" (this or key_tags).'),
    key_tags: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe('Tags whose values, joined by key_separator, form the key (this or key).'),
    key_separator: z.string().default(':').describe('Separator between key_tags values.'),
    key_column: z
      .string()
      .min(1)
      .optional()
      .describe('Column holding the key: default the first CSV column; required for a JSON array of rows.'),
    overwrite: z
      .boolean()
      .default(true)
      .describe('Replace tags the metric already has with the table values.'),
    check_interval: duration
      .prefault('10s')
      .describe('How often to re-check the file modification time, besides watching it.'),
  })
  .superRefine((c, ctx) => {
    if ((c.key === undefined) === (c.key_tags === undefined))
      ctx.addIssue({ code: 'custom', message: 'set exactly one of key or key_tags' });
    const err = c.key === undefined ? undefined : templateError(c.key);
    if (err !== undefined) ctx.addIssue({ code: 'custom', path: ['key'], message: err });
  });

/** The parsed config of the lookup processor. */
export type LookupConfig = z.output<typeof lookupConfig>;
