/**
 * The expression processor: sets computed fields from expressions over the metric, in config
 * order (a later field can use an earlier one). A null result (missing input, division by zero)
 * or one that does not fit the type leaves the field unset, and is counted.
 */
import {
  compileExpression,
  truthy,
  type CompiledExpression,
  type Value,
} from '../../../core/lib/expr/index.ts';
import type { Metric } from '../../../core/model/metric/metric.ts';
import type { PluginContext, ProcessorInstance } from '../../../core/plugin/types.ts';
import type { ExpressionConfig } from './config.ts';

type FieldType = ExpressionConfig['field'][number]['type'];

interface Computed {
  name: string;
  expr: CompiledExpression;
  type: FieldType;
}

function asNumber(v: Value): number | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

/** Sets the field; false when the value is null or does not fit the type. */
function setTyped(m: Metric, key: string, v: Value, type: FieldType): boolean {
  if (v === null) return false;
  switch (type) {
    case 'auto':
      m.setField(key, v);
      return true;
    case 'string':
      m.setField(key, String(v));
      return true;
    case 'boolean':
      m.setField(key, truthy(v));
      return true;
    case 'float': {
      const n = asNumber(v);
      if (n !== null) m.setField(key, n);
      return n !== null;
    }
    default: {
      const n = asNumber(v);
      const t = n === null ? n : Math.trunc(n);
      if (t === null || !Number.isSafeInteger(t) || (type === 'unsigned' && t < 0)) return false;
      m.setInt(key, t, type === 'unsigned' ? 'uint' : 'int');
      return true;
    }
  }
}

/** One configured expression processor instance. */
export class Expression implements ProcessorInstance {
  private readonly fields: Computed[];
  private readonly skipped: (n?: number) => void;

  constructor(cfg: ExpressionConfig, ctx: PluginContext) {
    this.fields = cfg.field.map((f) => ({
      name: f.name,
      expr: compileExpression(f.expression),
      type: f.type,
    }));
    this.skipped = ctx.metrics.counter(
      'fields_skipped',
      'Computed fields left unset: null result or not convertible to the type',
    );
  }

  process(metrics: Metric[]): Metric[] {
    const fields = this.fields;
    let skipped = 0;
    for (const m of metrics) {
      for (const f of fields) if (!setTyped(m, f.name, f.expr.eval(m), f.type)) skipped++;
    }
    if (skipped > 0) this.skipped(skipped);
    return metrics;
  }
}
