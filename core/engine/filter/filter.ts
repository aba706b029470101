/**
 * Metric filters at every stage (Telegraf semantics): namepass/namedrop select metrics by name,
 * tagpass/tagdrop by tag values, fieldinclude/fieldexclude trim fields, taginclude/tagexclude trim
 * tags. A metric left without fields is dropped.
 */
import { z } from 'zod';
import type { Metric } from '../../model/metric/metric.ts';
import { compileGlobs, type GlobSet } from './glob.ts';

const globs = z.array(z.string()).optional();
const tagGlobs = z.record(z.string(), z.array(z.string())).optional();

/** Filter keys shared by every plugin table. */
export const filterKeys = {
  namepass: globs.describe('Keep only metrics whose name matches one of these globs.'),
  namedrop: globs.describe('Drop metrics whose name matches one of these globs.'),
  tagpass: tagGlobs.describe('Keep only metrics with a tag matching (tag key -> value globs).'),
  tagdrop: tagGlobs.describe('Drop metrics with a tag matching (tag key -> value globs).'),
  fieldinclude: globs.describe('Keep only fields whose key matches.'),
  fieldexclude: globs.describe('Remove fields whose key matches.'),
  taginclude: globs.describe('Keep only tags whose key matches.'),
  tagexclude: globs.describe('Remove tags whose key matches.'),
};

export type FilterConfig = {
  [K in keyof typeof filterKeys]?: z.output<(typeof filterKeys)[K]>;
};

/** A compiled filter. `select` decides whether a metric passes; `modifies` says whether `trim` may change it. */
export interface CompiledFilter {
  readonly active: boolean;
  readonly modifies: boolean;
  /** True when the metric passes name/tag selection. */
  select(m: Metric): boolean;
  /** Trims fields/tags in place; returns false when no field remains (drop the metric). */
  trim(m: Metric): boolean;
}

function tagMatcher(spec: Record<string, string[]> | undefined): ((m: Metric) => boolean) | undefined {
  if (spec === undefined) return undefined;
  const entries: [string, GlobSet][] = Object.entries(spec).map(([k, v]) => [k, compileGlobs(v)]);
  return (m) => {
    for (const [k, match] of entries) {
      const v = m.tags[k];
      if (v !== undefined && match(v)) return true;
    }
    return false;
  };
}

const opt = (g: string[] | undefined): GlobSet | undefined => (g === undefined ? undefined : compileGlobs(g));

/** Compiles a filter config once. */
export function compileFilter(cfg: FilterConfig): CompiledFilter {
  const namepass = opt(cfg.namepass);
  const namedrop = opt(cfg.namedrop);
  const tagpass = tagMatcher(cfg.tagpass);
  const tagdrop = tagMatcher(cfg.tagdrop);
  const fieldinclude = opt(cfg.fieldinclude);
  const fieldexclude = opt(cfg.fieldexclude);
  const taginclude = opt(cfg.taginclude);
  const tagexclude = opt(cfg.tagexclude);
  const selects = namepass || namedrop || tagpass || tagdrop;
  const modifies = !!(fieldinclude || fieldexclude || taginclude || tagexclude);
  return {
    active: !!selects || modifies,
    modifies,
    select(m) {
      if (namepass !== undefined && !namepass(m.name)) return false;
      if (namedrop !== undefined && namedrop(m.name)) return false;
      if (tagpass !== undefined && !tagpass(m)) return false;
      if (tagdrop !== undefined && tagdrop(m)) return false;
      return true;
    },
    trim(m) {
      if (fieldinclude !== undefined || fieldexclude !== undefined) {
        for (const k of Object.keys(m.fields)) {
          if (
            (fieldinclude !== undefined && !fieldinclude(k)) ||
            (fieldexclude !== undefined && fieldexclude(k))
          )
            m.removeField(k);
        }
      }
      if (taginclude !== undefined || tagexclude !== undefined) {
        for (const k of Object.keys(m.tags)) {
          if ((taginclude !== undefined && !taginclude(k)) || (tagexclude !== undefined && tagexclude(k)))
            delete m.tags[k];
        }
      }
      for (const _ in m.fields) return true;
      return false;
    },
  };
}

/**
 * Applies a filter to a batch. Returns the kept metrics and how many were dropped. When the filter
 * trims and `copy` is set (the batch is shared with other outputs), kept metrics are cloned first.
 */
export function applyFilter(
  f: CompiledFilter,
  metrics: Metric[],
  copy: boolean,
): { kept: Metric[]; dropped: number } {
  if (!f.active) return { kept: metrics, dropped: 0 };
  const kept: Metric[] = [];
  for (let m of metrics) {
    if (!f.select(m)) continue;
    if (f.modifies) {
      if (copy) m = m.clone();
      if (!f.trim(m)) continue;
    }
    kept.push(m);
  }
  return { kept, dropped: metrics.length - kept.length };
}
