/**
 * The converter processor (Telegraf semantics): tags become fields of a type or the measurement
 * name; fields change type, become tags or the measurement name. Keys are globs; the first target
 * whose globs match a key wins (tags: measurement, string, integer, unsigned, boolean, float;
 * fields: measurement, tag, float, integer, unsigned, string, boolean). Tags are converted first.
 * A value that cannot convert stays where it was and is counted.
 */
import { compileGlobs, type GlobSet } from '../../../core/engine/filter/glob.ts';
import type { Metric } from '../../../core/model/metric/metric.ts';
import type { PluginContext, ProcessorInstance } from '../../../core/plugin/types.ts';
import type { ConverterConfig } from './config.ts';
import { toBoolean, toFloat, toInteger, toText } from './convert.ts';

type Target = 'measurement' | 'tag' | 'string' | 'integer' | 'unsigned' | 'float' | 'boolean';
/** What to do with a key: a target, or null for nothing. */
type Action = Target | null;

const TAG_ORDER = ['measurement', 'string', 'integer', 'unsigned', 'boolean', 'float'] as const;
const FIELD_ORDER = ['measurement', 'tag', 'float', 'integer', 'unsigned', 'string', 'boolean'] as const;
// Keys repeat across metrics, so each key's target is resolved once and cached (bounded).
const CACHE_LIMIT = 10_000;

/** Resolves a key to its first matching target, caching the answer. */
class Resolver {
  private readonly rules: [Target, GlobSet][];
  private readonly cache = new Map<string, Action>();
  readonly active: boolean;

  constructor(spec: Partial<Record<Target, string[]>>, order: readonly Target[]) {
    this.rules = order
      .filter((t) => (spec[t]?.length ?? 0) > 0)
      .map((t) => [t, compileGlobs(spec[t] as string[])]);
    this.active = this.rules.length > 0;
  }

  get(key: string): Action {
    let a = this.cache.get(key);
    if (a !== undefined) return a;
    a = null;
    for (const [target, match] of this.rules) {
      if (match(key)) {
        a = target;
        break;
      }
    }
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(key, a);
    return a;
  }
}

/** A copy of tags without some keys: far cheaper than `delete`, which degrades the object. */
function without(tags: Record<string, string>, drop: Record<string, true>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k in tags) if (drop[k] !== true) out[k] = tags[k];
  return out;
}

/** One configured converter processor instance. */
export class Converter implements ProcessorInstance {
  private readonly tags: Resolver;
  private readonly fields: Resolver;
  private readonly failed: (n?: number) => void;

  constructor(cfg: ConverterConfig, ctx: PluginContext) {
    this.tags = new Resolver(cfg.tags ?? {}, TAG_ORDER);
    this.fields = new Resolver(cfg.fields ?? {}, FIELD_ORDER);
    this.failed = ctx.metrics.counter(
      'conversion_errors',
      'Tags and fields left unchanged because they did not convert',
    );
  }

  process(metrics: Metric[]): Metric[] {
    for (const m of metrics) {
      if (this.tags.active) this.convertTags(m);
      if (this.fields.active) this.convertFields(m);
    }
    return metrics;
  }

  private convertTags(m: Metric): void {
    let moved: Record<string, true> | null = null;
    for (const key in m.tags) {
      const target = this.tags.get(key);
      if (target === null) continue;
      const v = m.tags[key];
      if (target === 'measurement') m.name = v;
      else if (target === 'string') m.setField(key, v);
      else if (!this.setTyped(m, key, v, target)) continue;
      (moved ??= {})[key] = true;
    }
    if (moved !== null) m.tags = without(m.tags, moved);
  }

  private convertFields(m: Metric): void {
    for (const key of Object.keys(m.fields)) {
      const target = this.fields.get(key);
      if (target === null) continue;
      const v = m.fields[key];
      if (target === 'measurement' || target === 'tag') {
        if (target === 'measurement') m.name = toText(v);
        else m.tags[key] = toText(v);
        m.removeField(key);
      } else if (target === 'string') m.setField(key, toText(v));
      else this.setTyped(m, key, v, target);
    }
  }

  /** Sets field `key` to `v` converted to `target`; false (counted) when it does not convert. */
  private setTyped(m: Metric, key: string, v: string | number | bigint | boolean, target: Target): boolean {
    if (target === 'integer' || target === 'unsigned') {
      const type = target === 'integer' ? 'int' : 'uint';
      const n = toInteger(v, type);
      if (n !== undefined) {
        m.setInt(key, n, type);
        return true;
      }
    } else {
      const c = target === 'float' ? toFloat(v) : toBoolean(v);
      if (c !== undefined) {
        m.setField(key, c);
        return true;
      }
    }
    this.failed();
    return false;
  }
}
