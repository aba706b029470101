import { z } from 'zod';
import { exprSchema } from '../../../core/lib/expr/index.ts';

/** Config of the filter processor. */
export const filterConfig = z.strictObject({
  expression: exprSchema
    .meta({ example: 'tags.env == "dev"' })
    .describe('Expression evaluated per metric, e.g. \'tags.env == "dev" || fields.value < 0\'.'),
  action: z
    .enum(['drop', 'keep'])
    .default('drop')
    .describe('"drop" removes metrics for which the expression is true; "keep" passes only those.'),
});

/** The parsed config of the filter processor. */
export type FilterConfig = z.output<typeof filterConfig>;
