/**
 * The plugin registry: one map per kind, filled explicitly by the composition root (bin/) or by
 * the external plugin loader. A duplicate name fails at boot.
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

/** Registered plugin definitions by kind and name. */
export class Registry {
  private readonly maps: { [K in PluginKind]: Map<string, DefinitionOf<K>> } = {
    input: new Map(),
    processor: new Map(),
    output: new Map(),
  };

  /** Registers definitions; throws VIVA_ERR_PLUGIN_DUPLICATE on a name seen before for that kind. */
  register(...defs: AnyDefinition[]): this {
    for (const def of defs) {
      const map = this.maps[def.kind] as Map<string, AnyDefinition>;
      if (map.has(def.name))
        throw new VivaError(
          ErrorCode.PLUGIN_DUPLICATE,
          `${def.kind} plugin "${def.name}" is registered twice`,
        );
      map.set(def.name, def);
    }
    return this;
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
    for (const kind of ['input', 'processor', 'output'] as const)
      for (const d of this.maps[kind].values()) r.register(d);
    return r;
  }
}

/** Config section name of a kind: input -> inputs. */
export function sectionOf(kind: PluginKind): 'inputs' | 'processors' | 'outputs' {
  return kind === 'input' ? 'inputs' : kind === 'processor' ? 'processors' : 'outputs';
}
