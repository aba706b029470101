import { z } from 'zod';
import { duration } from '../../../core/config/duration.ts';
import { exprSchema } from '../../../core/lib/expr/index.ts';

/** Config of the pattern processor: one rule per instance (several instances for several rules). */
export const patternConfig = z
  .strictObject({
    rule: z
      .string()
      .min(1)
      .default('pattern')
      .describe('Rule name, set as the "pattern" tag of every match.'),
    kind: z
      .enum(['count', 'sequence', 'absence', 'deadman'])
      .default('count')
      .describe(
        'count: `count` events matching `first` within `within`; sequence: `first` then `then` within `within` (other events may come between); absence: `first` not followed by `then` within `within`; deadman: a key sends nothing matching `first` for `within`.',
      ),
    first: exprSchema
      .meta({ example: 'name == "login" && tags.result == "fail"' })
      .describe('Expression an event must satisfy to start a match (for count and deadman: to count).'),
    then: exprSchema
      .optional()
      .describe(
        'sequence and absence: expression the following event must satisfy; the first event\'s tags and fields are visible as tags["first.KEY"] and fields["first.KEY"], e.g. \'tags.result == "ok" && tags.user == tags["first.user"]\'.',
      ),
    within: duration.prefault('5m').describe('Time limit of a match.'),
    count: z.number().int().min(1).default(5).describe('count: events needed within `within`.'),
    by: z
      .array(z.string())
      .default([])
      .describe(
        'Tag keys that key the matching (each key value is matched on its own); [] = one key, ["*"] = each series.',
      ),
    max_partial: z
      .number()
      .int()
      .min(1)
      .default(100)
      .describe('Most partial matches held per key; the oldest is dropped (and counted) to make room.'),
    max_keys: z
      .number()
      .int()
      .positive()
      .default(100_000)
      .describe('Most keys with state; events of further keys are counted and not matched.'),
  })
  .refine((c) => c.within > 0, { message: 'within must be positive', path: ['within'] })
  .refine((c) => c.then !== undefined || c.kind === 'count' || c.kind === 'deadman', {
    message: 'sequence and absence need a `then` expression',
    path: ['then'],
  });

export type PatternConfig = z.output<typeof patternConfig>;
