/**
 * zod helper for config keys holding an expression: a parse error fails config validation with
 * the column and reason, before anything starts.
 */
import { z } from 'zod';
import { ExprError } from './errors.ts';
import { compileExpression } from './expression.ts';

/** A string that must compile as an expression (the plugin compiles it again at create()). */
export const exprSchema = z.string().superRefine((src, ctx) => {
  try {
    compileExpression(src);
  } catch (e) {
    if (!(e instanceof ExprError)) throw e;
    ctx.addIssue({ code: 'custom', message: `invalid expression ${JSON.stringify(src)}: ${e.message}` });
  }
});
