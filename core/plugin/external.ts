/**
 * The external plugin loader: modules named in config (a top-level `plugins = [...]` list of
 * paths or npm packages, and `package = "..."` in a plugin table) are imported once, their exported
 * definitions checked and registered into a copy of the built-in registry. A bad module is a
 * ConfigError (VIVA_ERR_PLUGIN_LOAD) naming the module and the config file, never a crash.
 *
 * Node caches every imported module for the life of the process: a reload picks up new modules
 * and new config, but changing the code of a module already loaded takes a restart.
 */
import fs from 'node:fs';
import { createRequire, registerHooks } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { z } from 'zod';
import { loadConfig, type RawConfig } from '../config/load.ts';
import { validateConfig, type ValidConfig } from '../config/validate.ts';
import { ErrorCode } from '../model/errors/codes.ts';
import { ConfigError, type ConfigIssue } from '../model/errors/errors.ts';
import { sectionOf, type Registry } from './registry.ts';
import type { AnyDefinition, PluginKind } from './types.ts';

/** Schema of the top-level `plugins` key, for validateConfig's extra sections. */
export const pluginsSection = z
  .array(z.string().min(1))
  .default([])
  .describe('External plugin modules: paths relative to this config file, or npm package names.');

const KINDS = new Set<string>(['input', 'processor', 'output']);
const SNAKE = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/;

/** One module named in config, with the first place that named it. */
interface ModuleRef {
  spec: string;
  file: string;
  /** Resolved module URL, or undefined with the reason when it cannot be resolved. */
  url: string | undefined;
  error: string | undefined;
  /** Set when named by a plugin table: that plugin must be among the module's definitions. */
  wants: { kind: PluginKind; name: string; label: string }[];
}

/** What importing one module gave: its definitions, or why it is unusable. */
type Loaded = { defs: AnyDefinition[] } | { error: string };

let sdkShared = false;

/**
 * Makes `viva/sdk` resolve to this process's SDK from any module, wherever it is installed:
 * plugins then share the core's Metric, WriteError and zod instead of a second copy.
 */
function shareSdk(): void {
  if (sdkShared) return;
  sdkShared = true;
  const url = new URL('../sdk.ts', import.meta.url).href;
  registerHooks({
    resolve: (specifier, context, next) =>
      specifier === 'viva/sdk' ? { url, shortCircuit: true } : next(specifier, context),
  });
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** A relative or absolute path (as opposed to an npm package name). */
const isPath = (spec: string): boolean =>
  spec.startsWith('./') ||
  spec.startsWith('../') ||
  spec === '.' ||
  path.isAbsolute(spec) ||
  spec.startsWith('file:');

/** URL of a module: paths from the config file's directory, packages from there, then from VIVA. */
function resolveModule(spec: string, fromDir: string): string {
  if (spec.startsWith('file:')) return spec;
  const dir = path.resolve(fromDir);
  if (isPath(spec)) {
    const abs = path.resolve(dir, spec);
    // A package folder: its package.json "main" (or index.js) is the entry.
    if (fs.statSync(abs, { throwIfNoEntry: false })?.isDirectory() === true)
      return pathToFileURL(createRequire(path.join(dir, 'viva-config.js')).resolve(abs)).href;
    return pathToFileURL(abs).href;
  }
  try {
    return pathToFileURL(createRequire(path.join(dir, 'viva-config.js')).resolve(spec)).href;
  } catch {
    // Not installed beside the config (or ESM-only exports): try VIVA's own node_modules.
    return import.meta.resolve(spec);
  }
}

/** Why a value exported as a plugin definition is not one, or undefined when it is. */
export function definitionProblem(v: unknown): string | undefined {
  if (!isObject(v)) return 'not an object';
  if (typeof v.kind !== 'string' || !KINDS.has(v.kind))
    return 'kind must be "input", "processor" or "output"';
  if (typeof v.name !== 'string' || !SNAKE.test(v.name))
    return `name ${JSON.stringify(v.name)} must be snake_case`;
  if (typeof v.description !== 'string') return 'description must be a string';
  const config = v.config;
  if (!isObject(config) || !('_zod' in config) || typeof config.safeParse !== 'function')
    return 'config must be a zod schema';
  if (typeof v.create !== 'function') return 'create must be a function';
  return undefined;
}

/** Looks like an attempt at a definition (and is then checked), as opposed to a helper export. */
const looksLikeDefinition = (v: unknown): boolean =>
  isObject(v) && 'kind' in v && ('create' in v || 'config' in v);

/** Definitions a module exports: a default array or object, or named definition exports. */
function collect(mod: Record<string, unknown>): Loaded {
  const found = new Map<unknown, string>();
  const dflt = mod.default;
  if (Array.isArray(dflt)) dflt.forEach((v, i) => found.set(v, `default[${i}]`));
  else if (looksLikeDefinition(dflt)) found.set(dflt, 'default');
  else if (isObject(dflt))
    for (const [k, v] of Object.entries(dflt)) if (looksLikeDefinition(v)) found.set(v, `default.${k}`);
  for (const [k, v] of Object.entries(mod))
    if (k !== 'default' && looksLikeDefinition(v) && !found.has(v)) found.set(v, k);
  if (found.size === 0)
    return {
      error: 'exports no plugin definitions (export defineInput/defineProcessor/defineOutput results)',
    };
  const defs: AnyDefinition[] = [];
  for (const [v, where] of found) {
    const problem = definitionProblem(v);
    if (problem !== undefined)
      return { error: `export "${where}" is not a valid plugin definition: ${problem}` };
    defs.push(v as AnyDefinition);
  }
  return { defs };
}

/** Imports a module (Node imports each URL once per process) and collects its definitions. */
async function importModule(url: string): Promise<Loaded> {
  if (url.startsWith('file:') && !fs.existsSync(fileURLToPath(url)))
    return { error: `module not found (${fileURLToPath(url)})` };
  try {
    return collect((await import(url)) as Record<string, unknown>);
  } catch (e) {
    return { error: `failed to import: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}` };
  }
}

/** Every module the config names, once each (by what it resolves to), with who named it. */
function modulesOf(raw: RawConfig, baseDir: string): ModuleRef[] {
  const refs = new Map<string, ModuleRef>();
  const add = (spec: string, file: string, dir = path.dirname(file)): ModuleRef => {
    let url: string | undefined;
    let error: string | undefined;
    try {
      url = resolveModule(spec, dir);
    } catch (e) {
      const code = isObject(e) ? e.code : undefined;
      const notFound = code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND';
      error = notFound
        ? 'module not found'
        : `cannot resolve it: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`;
    }
    const key = url ?? `unresolved:${spec}`;
    let ref = refs.get(key);
    if (ref === undefined) refs.set(key, (ref = { spec, file, url, error, wants: [] }));
    return ref;
  };
  const section = raw.sections.get('plugins');
  const list = section?.table[''];
  const listFile = section?.files.get('');
  if (Array.isArray(list))
    for (const spec of list)
      if (typeof spec === 'string' && spec !== '')
        add(spec, listFile ?? baseDir, listFile === undefined ? baseDir : path.dirname(listFile));
  for (const t of raw.plugins) {
    const pkg = t.table.package;
    if (typeof pkg === 'string' && pkg !== '')
      add(pkg, t.file).wants.push({ kind: t.kind, name: t.name, label: `${sectionOf(t.kind)}.${t.name}` });
  }
  return [...refs.values()];
}

/** Registers a module's definitions; returns the issues (clash with a built-in or another module). */
function register(
  registry: Registry,
  base: Registry,
  defs: AnyDefinition[],
  owner: Map<string, string>,
  spec: string,
): string[] {
  const problems: string[] = [];
  for (const def of defs) {
    const key = `${def.kind}.${def.name}`;
    const seen = registry.get(def.kind, def.name);
    if (seen === def) continue;
    if (seen !== undefined || registry.has(def.kind, def.name)) {
      const by = base.has(def.kind, def.name) ? 'a built-in plugin' : `module "${owner.get(key)}"`;
      problems.push(`${def.kind} plugin "${def.name}" is already provided by ${by}`);
      continue;
    }
    owner.set(key, spec);
    registry.register(def);
  }
  return problems;
}

/**
 * Imports the external plugin modules a config names and returns a copy of `base` with their
 * definitions registered. Paths are relative to the config file naming them (`baseDir` when that
 * is unknown). Throws one ConfigError (VIVA_ERR_PLUGIN_LOAD) listing every bad module.
 */
export async function loadExternalPlugins(
  raw: RawConfig,
  base: Registry,
  opts: { baseDir: string },
): Promise<Registry> {
  const refs = modulesOf(raw, opts.baseDir);
  // Built-ins are lazy: import only those the config names.
  const registry = await base.clone().load(raw.plugins);
  if (refs.length === 0) return registry;
  shareSdk();
  const issues: ConfigIssue[] = [];
  const owner = new Map<string, string>();
  for (const ref of refs) {
    const issue = (message: string, plugin?: string): ConfigIssue => ({
      file: ref.file,
      plugin,
      message: `plugin module "${ref.spec}": ${message}`,
    });
    const loaded: Loaded =
      ref.url === undefined ? { error: ref.error ?? 'module not found' } : await importModule(ref.url);
    if ('error' in loaded) {
      issues.push(issue(loaded.error));
      continue;
    }
    for (const p of register(registry, base, loaded.defs, owner, ref.spec)) issues.push(issue(p));
    for (const w of ref.wants) {
      if (loaded.defs.some((d) => d.kind === w.kind && d.name === w.name)) continue;
      const offered = loaded.defs.map((d) => `${sectionOf(d.kind)}.${d.name}`).join(', ');
      issues.push(issue(`provides no ${w.kind} plugin "${w.name}" (it provides: ${offered})`, w.label));
    }
  }
  if (issues.length > 0) throw new ConfigError(ErrorCode.PLUGIN_LOAD, issues);
  return registry;
}

/**
 * Loads a config file or directory, loads the external plugins it names and validates it all:
 * what the CLI and live reload use. Throws ConfigError.
 */
export async function loadAndValidate(
  configPath: string,
  base: Registry,
  extraSections: Record<string, z.ZodType> = {},
): Promise<ValidConfig> {
  const raw = loadConfig(configPath);
  const baseDir = raw.files.length > 0 ? path.dirname(raw.files[0]) : path.resolve(configPath);
  const registry = await loadExternalPlugins(raw, base, { baseDir });
  return validateConfig(raw, registry, { plugins: pluginsSection, ...extraSections });
}
