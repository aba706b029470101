/**
 * The plugin registry: one map per kind, filled explicitly by the composition root (bin/) or by
 * the external plugin loader. A duplicate name fails at boot.
 *
 * Built-in plugins are registered lazily (a name and a loader): a config imports only the plugins
 * it names (BENCHMARKS.md, Memory at idle: importing all of them cost about 40 MB of RSS). get()
 * and list() see loaded definitions only: load() what a config names, loadAll() to list them all.
 */
import { ErrorCode } from '../model/errors/codes.ts';
import { VivaError } from '../model/errors/errors.ts';
import type {
  AnyDefinition,
  InputDefinition,
  OutputDefinition,
  PluginKind,
  ProcessorDefinition,
} from './types.ts';

type DefinitionOf<K extends PluginKind> = K extends 'input'
  ? InputDefinition
  : K extends 'processor'
    ? ProcessorDefinition
    : OutputDefinition;

/** A built-in plugin known by name, its module imported on first use. */
export interface LazyDefinition {
  kind: PluginKind;
  name: string;
  load(): Promise<AnyDefinition>;
}

/** A lazy entry for a plugin module's definition: `lazy('input', 'cpu', () => import(...))`. */
export function lazy<M>(
  kind: PluginKind,
  name: string,
  importer: () => Promise<M>,
  pick: (m: M) => unknown,
): LazyDefinition {
  let loading: Promise<AnyDefinition> | undefined;
  return { kind, name, load: () => (loading ??= importer().then((m) => pick(m) as AnyDefinition)) };
}

/** Registered plugin definitions by kind and name. */
export class Registry {
  private readonly pending: { [K in PluginKind]: Map<string, LazyDefinition> } = {
    input: new Map(),
    processor: new Map(),
    output: new Map(),
  };

  private readonly maps: { [K in PluginKind]: Map<string, DefinitionOf<K>> } = {
    input: new Map(),
    processor: new Map(),
    output: new Map(),
  };

  /** Registers definitions; throws VIVA_ERR_PLUGIN_DUPLICATE on a name seen before for that kind. */
  register(...defs: AnyDefinition[]): this {
    for (const def of defs) {
      const map = this.maps[def.kind] as Map<string, AnyDefinition>;
      if (map.has(def.name) || this.pending[def.kind].has(def.name))
        throw new VivaError(
          ErrorCode.PLUGIN_DUPLICATE,
          `${def.kind} plugin "${def.name}" is registered twice`,
        );
      map.set(def.name, def);
    }
    return this;
  }

  /** Registers built-ins by name; each module is imported by load() or loadAll(). */
  registerLazy(...entries: LazyDefinition[]): this {
    for (const e of entries) {
      if (this.has(e.kind, e.name))
        throw new VivaError(ErrorCode.PLUGIN_DUPLICATE, `${e.kind} plugin "${e.name}" is registered twice`);
      this.pending[e.kind].set(e.name, e);
    }
    return this;
  }

  /** True when a plugin of that name is registered, loaded or not. */
  has(kind: PluginKind, name: string): boolean {
    return this.maps[kind].has(name) || this.pending[kind].has(name);
  }

  /** Every registered name of a kind, loaded or not, sorted. */
  names(kind: PluginKind): string[] {
    return [...new Set([...this.maps[kind].keys(), ...this.pending[kind].keys()])].sort((a, b) =>
      a.localeCompare(b),
    );
  }

  /** Imports the named plugins that are still lazy (unknown names are left for validation). */
  async load(wanted: Iterable<{ kind: PluginKind; name: string }>): Promise<this> {
    const jobs: Promise<void>[] = [];
    for (const { kind, name } of wanted) {
      const e = this.pending[kind].get(name);
      if (e !== undefined) jobs.push(this.resolve(e));
    }
    await Promise.all(jobs);
    return this;
  }

  /** Imports every lazy plugin (listing, docs, the compliance test). */
  async loadAll(): Promise<this> {
    const all = (['input', 'processor', 'output'] as const).flatMap((k) => [...this.pending[k].values()]);
    await Promise.all(all.map((e) => this.resolve(e)));
    return this;
  }

  private async resolve(e: LazyDefinition): Promise<void> {
    const def = await e.load();
    if (def.kind !== e.kind || def.name !== e.name)
      throw new VivaError(
        ErrorCode.PLUGIN_LOAD,
        `${e.kind} plugin "${e.name}" loaded a definition named ${def.kind} "${def.name}"`,
      );
    if (this.pending[e.kind].get(e.name) !== e) return;
    this.pending[e.kind].delete(e.name);
    (this.maps[e.kind] as Map<string, AnyDefinition>).set(e.name, def);
  }

  get<K extends PluginKind>(kind: K, name: string): DefinitionOf<K> | undefined {
    return this.maps[kind].get(name);
  }

  list<K extends PluginKind>(kind: K): DefinitionOf<K>[] {
    return [...this.maps[kind].values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** A copy, so external plugins can be added for one config without touching the built-ins. */
  clone(): Registry {
    const r = new Registry();
    for (const kind of ['input', 'processor', 'output'] as const) {
      for (const d of this.maps[kind].values()) r.register(d);
      r.registerLazy(...this.pending[kind].values());
    }
    return r;
  }
}

/** Config section name of a kind: input -> inputs. */
export function sectionOf(kind: PluginKind): 'inputs' | 'processors' | 'outputs' {
  return kind === 'input' ? 'inputs' : kind === 'processor' ? 'processors' : 'outputs';
}
