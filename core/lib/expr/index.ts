/**
 * The small safe expression language shared by processors (filter, expression): no eval, no
 * Function, no access to anything but the metric it is evaluated against.
 */
export { compileExpression } from './expression.ts';
export type { CompiledExpression } from './expression.ts';
export { exprSchema } from './schema.ts';
export { ExprError } from './errors.ts';
export { truthy } from './compile.ts';
export type { Value } from './ast.ts';
