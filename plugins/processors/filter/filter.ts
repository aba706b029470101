/**
 * The filter processor: drops (or keeps only) the metrics for which an expression is true.
 * null, false, 0 and "" count as false, so a metric missing a referenced key does not match.
 */
import { compileExpression, type CompiledExpression } from '../../../core/lib/expr/index.ts';
import type { Metric } from '../../../core/model/metric/metric.ts';
import type { ProcessorInstance } from '../../../core/plugin/types.ts';
import type { FilterConfig } from './config.ts';

/** One configured filter processor instance. */
export class Filter implements ProcessorInstance {
  private readonly expr: CompiledExpression;
  /** Whether a metric the expression matches passes on. */
  private readonly passOnMatch: boolean;

  constructor(cfg: FilterConfig) {
    this.expr = compileExpression(cfg.expression);
    this.passOnMatch = cfg.action === 'keep';
  }

  process(metrics: Metric[]): Metric[] {
    let kept = 0;
    for (let i = 0; i < metrics.length; i++) {
      const m = metrics[i];
      if (this.expr.test(m) === this.passOnMatch) metrics[kept++] = m;
    }
    metrics.length = kept;
    return metrics;
  }
}
