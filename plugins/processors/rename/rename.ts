/**
 * The rename processor: replaces measurement names, tag keys and field keys, in config order.
 * A renamed tag or field overwrites one already under the new key; a field keeps its type.
 */
import type { Metric } from '../../../core/model/metric/metric.ts';
import type { ProcessorInstance } from '../../../core/plugin/types.ts';
import type { RenameConfig } from './config.ts';

interface Op {
  kind: 'measurement' | 'tag' | 'field';
  from: string;
  to: string;
}

/** Moves a field to a new key, keeping its integer marker. */
function moveField(m: Metric, from: string, to: string): void {
  const v = m.fields[from];
  const type = m.fieldTypes?.[from];
  m.removeField(from);
  if (type !== undefined) m.setInt(to, v as number | bigint, type);
  else m.setField(to, v as number | string | boolean);
}

/** A copy of tags with one key renamed: cheaper than `delete`, which degrades the object. */
function renamedTag(
  tags: Record<string, string>,
  from: string,
  to: string,
  v: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k in tags) if (k !== from && k !== to) out[k] = tags[k];
  out[to] = v;
  return out;
}

/** One configured rename processor instance. */
export class Rename implements ProcessorInstance {
  private readonly ops: Op[];

  constructor(cfg: RenameConfig) {
    this.ops = cfg.replace.map((r) => {
      if (r.measurement !== undefined) return { kind: 'measurement', from: r.measurement, to: r.dest };
      if (r.tag !== undefined) return { kind: 'tag', from: r.tag, to: r.dest };
      return { kind: 'field', from: r.field as string, to: r.dest };
    });
  }

  process(metrics: Metric[]): Metric[] {
    const ops = this.ops;
    for (const m of metrics) {
      for (const op of ops) {
        if (op.kind === 'measurement') {
          if (m.name === op.from) m.name = op.to;
        } else if (op.kind === 'tag') {
          const v = m.tags[op.from];
          if (typeof v === 'string' && op.from !== op.to) m.tags = renamedTag(m.tags, op.from, op.to, v);
        } else if (Object.hasOwn(m.fields, op.from) && op.from !== op.to) moveField(m, op.from, op.to);
      }
    }
    return metrics;
  }
}
