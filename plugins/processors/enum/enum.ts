/**
 * The enum processor (Telegraf semantics): maps tag or field values through a table. Source
 * values are looked up by their string form (true, 42, 1.5); a mapped whole number written to a
 * field becomes an integer, to a tag its string form. Unmapped values take `default` when set and
 * are otherwise left alone, with no dest written.
 */
import { compileGlobs, type GlobSet } from '../../../core/engine/filter/glob.ts';
import type { FieldValue, Metric } from '../../../core/model/metric/metric.ts';
import type { ProcessorInstance } from '../../../core/plugin/types.ts';
import type { EnumConfig } from './config.ts';

type Mapped = string | number | boolean;

interface Mapping {
  tags: GlobSet | null;
  fields: GlobSet | null;
  dest: string | undefined;
  table: Map<string, Mapped>;
  fallback: Mapped | undefined;
}

function setField(m: Metric, key: string, v: Mapped): void {
  if (typeof v === 'number' && Number.isSafeInteger(v)) m.setInt(key, v);
  else m.setField(key, v);
}

/** One configured enum processor instance. */
export class Enum implements ProcessorInstance {
  private readonly mappings: Mapping[];

  constructor(cfg: EnumConfig) {
    this.mappings = cfg.mapping.map((m) => ({
      tags: m.tags.length > 0 ? compileGlobs(m.tags) : null,
      fields: m.fields.length > 0 ? compileGlobs(m.fields) : null,
      dest: m.dest,
      table: new Map(Object.entries(m.value_mappings)),
      fallback: m.default,
    }));
  }

  private lookup(mp: Mapping, v: FieldValue): Mapped | undefined {
    return mp.table.get(typeof v === 'string' ? v : String(v)) ?? mp.fallback;
  }

  process(metrics: Metric[]): Metric[] {
    for (const m of metrics) {
      for (const mp of this.mappings) {
        if (mp.tags !== null) {
          for (const k of Object.keys(m.tags)) {
            if (!mp.tags(k)) continue;
            const v = this.lookup(mp, m.tags[k]);
            if (v !== undefined) m.tags[mp.dest ?? k] = String(v);
          }
        }
        if (mp.fields !== null) {
          for (const k of Object.keys(m.fields)) {
            if (!mp.fields(k)) continue;
            const v = this.lookup(mp, m.fields[k]);
            if (v !== undefined) setField(m, mp.dest ?? k, v);
          }
        }
      }
    }
    return metrics;
  }
}
