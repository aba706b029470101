/**
 * An agent's config with a central config: the local file (or directory) first, the central file
 * after it, as if it were one more file of a config directory: plugin tables add up, [agent] and
 * [global_tags] keys of the central file win. `[agent.fleet]` stays local: a central config cannot
 * change where the agent reports or fetches from.
 */
import path from 'node:path';
import { loadConfig, type RawConfig } from '../../config/load.ts';
import { validateConfig, type ValidConfig } from '../../config/validate.ts';
import { ErrorCode } from '../../model/errors/codes.ts';
import { ConfigError } from '../../model/errors/errors.ts';
import { loadExternalPlugins, pluginsSection } from '../../plugin/external.ts';
import type { Registry } from '../../plugin/registry.ts';
import type { PluginKind } from '../../plugin/types.ts';

/** Adds `central` after `local` (in place); throws when the central file has [agent.fleet]. */
export function mergeCentral(local: RawConfig, central: RawConfig): RawConfig {
  const agent = central.sections.get('agent');
  if (agent !== undefined && 'fleet' in agent.table)
    throw new ConfigError(ErrorCode.CONFIG_INVALID, [
      {
        file: central.files[0],
        path: 'agent.fleet',
        message: 'stays in the local config: a central config cannot change where the agent reports',
      },
    ]);
  local.files.push(...central.files);
  for (const [name, section] of central.sections) {
    const into = local.sections.get(name) ?? { table: {}, files: new Map<string, string>() };
    for (const [k, v] of Object.entries(section.table)) {
      into.table[k] = v;
      into.files.set(k, section.files.get(k) ?? central.files[0]);
    }
    local.sections.set(name, into);
  }
  const counts: Record<PluginKind, number> = { input: 0, processor: 0, output: 0 };
  for (const p of local.plugins) counts[p.kind] = Math.max(counts[p.kind], p.index + 1);
  for (const p of central.plugins) local.plugins.push({ ...p, index: counts[p.kind] + p.index });
  for (const [k, v] of central.substituted) local.substituted.set(k, v);
  return local;
}

/** The name of the central config the local file asks for ([agent.fleet] config), '' for none. */
export function centralNameOf(local: RawConfig): string {
  const fleet = local.sections.get('agent')?.table.fleet;
  if (typeof fleet !== 'object' || fleet === null) return '';
  const name = (fleet as Record<string, unknown>).config;
  return typeof name === 'string' ? name : '';
}

/** Loads and validates the local config, with the central file after it when given. */
export async function loadWithCentral(
  localPath: string,
  centralFile: string | undefined,
  registry: Registry,
): Promise<ValidConfig> {
  const raw = loadConfig(localPath);
  if (centralFile !== undefined) mergeCentral(raw, loadConfig(centralFile));
  const baseDir = raw.files.length > 0 ? path.dirname(raw.files[0]) : path.resolve(localPath);
  const withPlugins = await loadExternalPlugins(raw, registry, { baseDir });
  return validateConfig(raw, withPlugins, { plugins: pluginsSection });
}
