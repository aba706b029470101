import { z } from 'zod';

const tagTable = z.record(z.string().min(1), z.string());

/** Config of the tags processor. */
export const tagsConfig = z.strictObject({
  remove: z.array(z.string()).default([]).describe('Tag keys to remove (globs); applied first.'),
  overwrite: tagTable.optional().describe('Tags always set, replacing any existing value.'),
  add: tagTable.optional().describe('Tags set only where the metric lacks them.'),
  from_env: tagTable
    .optional()
    .describe('Tags set (where absent) from environment variables read at start: tag name -> variable name.'),
});

/** The parsed config of the tags processor. */
export type TagsConfig = z.output<typeof tagsConfig>;
