/**
 * The regex processor (Telegraf semantics): rewrites tag values, string field values, tag keys,
 * field keys and measurement names with pattern + replacement, in that order. A value the pattern
 * does not match is left alone (and no result_key is written). Every match is replaced.
 */
import { compileGlobs, type GlobSet } from '../../../core/engine/filter/glob.ts';
import type { Metric } from '../../../core/model/metric/metric.ts';
import type { ProcessorInstance } from '../../../core/plugin/types.ts';
import type { RegexConfig } from './config.ts';
import { toRegExp, toReplacement } from './pattern.ts';

/** A compiled pattern: `test` (no state) decides, `global` rewrites every match. */
interface Rewrite {
  test: RegExp;
  global: RegExp;
  replacement: string;
}

interface ValueRule extends Rewrite {
  /** The exact key, or null when `match` is a glob. */
  key: string | null;
  match: GlobSet;
  resultKey: string | undefined;
}

interface RenameRule extends Rewrite {
  overwrite: boolean;
}

function rewrite(r: { pattern: string; replacement: string }): Rewrite {
  return {
    test: toRegExp(r.pattern),
    global: toRegExp(r.pattern, 'g'),
    replacement: toReplacement(r.replacement),
  };
}

const apply = (r: Rewrite, s: string): string | undefined =>
  r.test.test(s) ? s.replace(r.global, r.replacement) : undefined;

function valueRules(rules: RegexConfig['tags']): ValueRule[] {
  return rules.map((r) => ({
    ...rewrite(r),
    key: /[*?[]/.test(r.key) ? null : r.key,
    match: compileGlobs([r.key]),
    resultKey: r.result_key,
  }));
}

/** One configured regex processor instance. */
export class Regex implements ProcessorInstance {
  private readonly tags: ValueRule[];
  private readonly fields: ValueRule[];
  private readonly tagRename: RenameRule[];
  private readonly fieldRename: RenameRule[];
  private readonly metricRename: Rewrite[];

  constructor(cfg: RegexConfig) {
    this.tags = valueRules(cfg.tags);
    this.fields = valueRules(cfg.fields);
    this.tagRename = cfg.tag_rename.map((r) => ({ ...rewrite(r), overwrite: r.result_key === 'overwrite' }));
    this.fieldRename = cfg.field_rename.map((r) => ({
      ...rewrite(r),
      overwrite: r.result_key === 'overwrite',
    }));
    this.metricRename = cfg.metric_rename.map(rewrite);
  }

  process(metrics: Metric[]): Metric[] {
    for (const m of metrics) {
      for (const r of this.tags) {
        if (r.key !== null) this.tagValue(m, r, r.key);
        else for (const k of Object.keys(m.tags)) if (r.match(k)) this.tagValue(m, r, k);
      }
      for (const r of this.fields) {
        if (r.key !== null) this.fieldValue(m, r, r.key);
        else for (const k of Object.keys(m.fields)) if (r.match(k)) this.fieldValue(m, r, k);
      }
      for (const r of this.tagRename) this.renameTags(m, r);
      for (const r of this.fieldRename) this.renameFields(m, r);
      for (const r of this.metricRename) m.name = apply(r, m.name) ?? m.name;
    }
    return metrics;
  }

  private tagValue(m: Metric, r: ValueRule, key: string): void {
    const v = m.tags[key];
    if (typeof v !== 'string') return;
    const out = apply(r, v);
    if (out !== undefined) m.tags[r.resultKey ?? key] = out;
  }

  private fieldValue(m: Metric, r: ValueRule, key: string): void {
    const v = m.fields[key];
    if (typeof v !== 'string') return;
    const out = apply(r, v);
    if (out !== undefined) m.setField(r.resultKey ?? key, out);
  }

  private renameTags(m: Metric, r: RenameRule): void {
    let renames: Record<string, string> | null = null;
    for (const k in m.tags) {
      const to = apply(r, k);
      if (to === undefined || to === k || (!r.overwrite && Object.hasOwn(m.tags, to))) continue;
      (renames ??= {})[k] = to;
    }
    if (renames === null) return;
    // Rebuilt rather than `delete`d: deleting degrades the object on the hot path.
    const out: Record<string, string> = {};
    for (const k in m.tags) if (!Object.hasOwn(renames, k)) out[k] = m.tags[k];
    for (const k in renames) out[renames[k]] = m.tags[k];
    m.tags = out;
  }

  private renameFields(m: Metric, r: RenameRule): void {
    for (const k of Object.keys(m.fields)) {
      const to = apply(r, k);
      if (to === undefined || to === k || (!r.overwrite && Object.hasOwn(m.fields, to))) continue;
      const v = m.fields[k];
      const type = m.fieldTypes?.[k];
      m.removeField(k);
      if (type !== undefined) m.setInt(to, v as number | bigint, type);
      else m.setField(to, v as number | string | boolean);
    }
  }
}
