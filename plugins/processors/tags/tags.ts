/**
 * The tags processor: removes tags by glob, then sets `overwrite` tags, then adds `add` and
 * `from_env` tags where absent. Environment variables are read once, at create().
 */
import { compileGlobs, type GlobSet } from '../../../core/engine/filter/glob.ts';
import type { Metric } from '../../../core/model/metric/metric.ts';
import type { PluginContext, ProcessorInstance } from '../../../core/plugin/types.ts';
import type { TagsConfig } from './config.ts';

/** One configured tags processor instance. */
export class Tags implements ProcessorInstance {
  private readonly remove: GlobSet | null;
  private readonly overwrite: [string, string][];
  private readonly add: [string, string][];

  constructor(cfg: TagsConfig, ctx: PluginContext, env: NodeJS.ProcessEnv = process.env) {
    this.remove = cfg.remove.length > 0 ? compileGlobs(cfg.remove) : null;
    this.overwrite = Object.entries(cfg.overwrite ?? {});
    const fromEnv: [string, string][] = [];
    for (const [tag, variable] of Object.entries(cfg.from_env ?? {})) {
      const v = env[variable];
      if (v === undefined || v === '')
        ctx.log.warn({ tag, variable }, 'environment variable unset; tag not added');
      else fromEnv.push([tag, v]);
    }
    this.add = [...Object.entries(cfg.add ?? {}), ...fromEnv];
  }

  /** The tags without the removed keys; a rebuilt object is far cheaper than `delete`. */
  private removed(tags: Record<string, string>, remove: GlobSet): Record<string, string> {
    const out: Record<string, string> = {};
    let any = false;
    for (const k in tags) {
      if (remove(k)) any = true;
      else out[k] = tags[k];
    }
    return any ? out : tags;
  }

  process(metrics: Metric[]): Metric[] {
    const { remove, overwrite, add } = this;
    for (const m of metrics) {
      if (remove !== null) m.tags = this.removed(m.tags, remove);
      const tags = m.tags;
      for (const [k, v] of overwrite) tags[k] = v;
      for (const [k, v] of add) if (!Object.hasOwn(tags, k)) tags[k] = v;
    }
    return metrics;
  }
}
