/**
 * The public face of the expression language: compile once at config time, evaluate per metric.
 */
import type { Metric } from '../../model/metric/metric.ts';
import type { Value } from './ast.ts';
import { compileTree, truthy, type Evaluator } from './compile.ts';
import { parse } from './parser.ts';

/** A compiled expression. */
export interface CompiledExpression {
  readonly source: string;
  /** The value of the expression for a metric (null when it refers to something missing). */
  eval(m: Metric): Value;
  /** The truthiness of the value: what filters use. */
  test(m: Metric): boolean;
}

class Expression implements CompiledExpression {
  readonly source: string;
  private readonly ev: Evaluator;

  constructor(source: string, ev: Evaluator) {
    this.source = source;
    this.ev = ev;
  }

  eval(m: Metric): Value {
    return this.ev(m);
  }

  test(m: Metric): boolean {
    return truthy(this.ev(m));
  }
}

/** Parses and compiles an expression; throws ExprError (with line and column) when invalid. */
export function compileExpression(src: string): CompiledExpression {
  return new Expression(src, compileTree(parse(src)));
}
