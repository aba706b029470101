import { z } from 'zod';
import { exprSchema } from '../../../core/lib/expr/index.ts';

const computed = z.strictObject({
  name: z.string().min(1).describe('Field to set.'),
  expression: exprSchema.describe('Expression computing the value, e.g. "fields.used / fields.total * 100".'),
  type: z
    .enum(['auto', 'float', 'integer', 'unsigned', 'string', 'boolean'])
    .default('auto')
    .describe('Field type; "auto" makes numbers floats and keeps strings and booleans; integers truncate.'),
});

/** Config of the expression processor. */
export const expressionConfig = z.strictObject({
  field: z
    .array(computed)
    .default([])
    .describe('[[processors.expression.field]] tables: name, expression, type; evaluated in order.'),
});

/** The parsed config of the expression processor. */
export type ExpressionConfig = z.output<typeof expressionConfig>;
