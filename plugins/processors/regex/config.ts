import { z } from 'zod';
import { patternError } from './pattern.ts';

const pattern = z
  .string()
  .min(1)
  .superRefine((p, ctx) => {
    const err = patternError(p);
    if (err !== undefined)
      ctx.addIssue({ code: 'custom', message: `invalid regular expression ${JSON.stringify(p)}: ${err}` });
  })
  .describe('Regular expression (JS syntax; a leading (?i) and (?P<name>...) are accepted).');
const replacement = z
  .string()
  .describe('Replacement: $1, ${1}, ${name} or $<name> for groups, $0 or ${0} for the whole match.');

const valueRule = z.strictObject({
  key: z.string().min(1).describe('Key to rewrite (glob).'),
  pattern,
  replacement,
  result_key: z
    .string()
    .min(1)
    .optional()
    .describe('Write the result to this key instead, keeping the original.'),
});

const renameRule = z.strictObject({
  pattern,
  replacement,
  result_key: z
    .enum(['keep', 'overwrite'])
    .default('keep')
    .describe('When the new key exists: "keep" leaves both keys as they are, "overwrite" replaces it.'),
});

const nameRule = z.strictObject({ pattern, replacement });

/** Config of the regex processor. */
export const regexConfig = z.strictObject({
  tags: z
    .array(valueRule)
    .default([])
    .describe('[[processors.regex.tags]]: rewrite tag values (key, pattern, replacement, result_key).'),
  fields: z
    .array(valueRule)
    .default([])
    .describe(
      '[[processors.regex.fields]]: rewrite string field values (key, pattern, replacement, result_key).',
    ),
  tag_rename: z.array(renameRule).default([]).describe('[[processors.regex.tag_rename]]: rewrite tag keys.'),
  field_rename: z
    .array(renameRule)
    .default([])
    .describe('[[processors.regex.field_rename]]: rewrite field keys.'),
  metric_rename: z
    .array(nameRule)
    .default([])
    .describe('[[processors.regex.metric_rename]]: rewrite measurement names.'),
});

/** The parsed config of the regex processor. */
export type RegexConfig = z.output<typeof regexConfig>;
