/**
 * Validates a loaded config completely before anything starts: every section, every plugin
 * table (core keys and the plugin's own schema), collecting every issue with file, plugin
 * instance and key path.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ErrorCode } from '../model/errors/codes.ts';
import { ConfigError, type ConfigIssue } from '../model/errors/errors.ts';
import { sectionOf, type Registry } from '../plugin/registry.ts';
import type {
  InputDefinition,
  OutputDefinition,
  PluginId,
  PluginKind,
  ProcessorDefinition,
} from '../plugin/types.ts';
import { hideSubstitutedIn } from './env.ts';
import { zodIssues } from './issues.ts';
import type { RawConfig, RawPluginTable } from './load.ts';
import {
  agentObject,
  agentSchema,
  inputCommonKeys,
  outputCommonKeys,
  processorCommonKeys,
  type AgentSettings,
  type InputCommon,
  type OutputCommon,
  type ProcessorCommon,
} from './schema.ts';

/** One validated plugin instance. */
export interface PluginSpec<D, C> {
  id: PluginId;
  def: D;
  common: C;
  /** The plugin's own config, parsed by its schema (defaults applied). */
  config: unknown;
  file: string;
  /** Identity for live reload: kind, name, alias and the raw table's canonical content. */
  hash: string;
}

export type InputSpec = PluginSpec<InputDefinition, InputCommon>;
export type ProcessorSpec = PluginSpec<ProcessorDefinition, ProcessorCommon>;
export type OutputSpec = PluginSpec<OutputDefinition, OutputCommon>;

export interface ValidConfig {
  files: string[];
  agent: AgentSettings;
  globalTags: Record<string, string>;
  inputs: InputSpec[];
  processors: ProcessorSpec[];
  outputs: OutputSpec[];
  /** Extra sections validated by the caller's schemas (the collector's routes, fleet, ...). */
  extra: Record<string, unknown>;
  /** Hash of the whole config, reported by agents to the fleet registry. */
  hash: string;
}

const COMMON_KEYS: Record<PluginKind, Record<string, z.ZodType>> = {
  input: inputCommonKeys,
  processor: processorCommonKeys,
  output: outputCommonKeys,
};

function canonical(v: unknown): string {
  if (Array.isArray(v)) return '[' + v.map(canonical).join(',') + ']';
  if (v instanceof Date) return JSON.stringify(v.toISOString());
  if (typeof v === 'object' && v !== null)
    return (
      '{' +
      Object.keys(v)
        .sort()
        .map((k) => JSON.stringify(k) + ':' + canonical((v as Record<string, unknown>)[k]))
        .join(',') +
      '}'
    );
  return typeof v === 'bigint' ? v.toString() : JSON.stringify(v);
}

const sha = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 16);

function shapeKeys(schema: z.ZodType): string[] {
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

function labelFor(t: RawPluginTable, alias: string | undefined, nth: number, total: number): string {
  const base = `${sectionOf(t.kind)}.${t.name}`;
  if (alias !== undefined) return `${base}:${alias}`;
  return total > 1 ? `${base}#${nth}` : base;
}

function validatePlugin(
  t: RawPluginTable,
  registry: Registry,
  label: string,
  issues: ConfigIssue[],
): PluginSpec<unknown, unknown> | undefined {
  const def = registry.get(t.kind, t.name);
  if (def === undefined) {
    const known = registry.names(t.kind);
    issues.push({
      file: t.file,
      plugin: label,
      message: `unknown ${t.kind} plugin "${t.name}" (known: ${known.join(', ')})`,
      code: ErrorCode.PLUGIN_UNKNOWN,
    });
    return undefined;
  }
  const commonShape = COMMON_KEYS[t.kind];
  const commonPart: Record<string, unknown> = {};
  const ownPart: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(t.table)) (k in commonShape ? commonPart : ownPart)[k] = v;
  const known = [...Object.keys(commonShape), ...shapeKeys(def.config)];
  const where = { file: t.file, plugin: label };
  const common = z.strictObject(commonShape).safeParse(commonPart);
  if (!common.success) issues.push(...zodIssues(common.error, where, known));
  const own = def.config.safeParse(ownPart);
  if (!own.success) issues.push(...zodIssues(own.error, where, known));
  if (!common.success || !own.success) return undefined;
  const alias = (common.data as { alias?: string }).alias;
  return {
    id: { kind: t.kind, name: t.name, alias, label },
    def,
    common: common.data,
    config: own.data,
    file: t.file,
    hash: sha(canonical({ kind: t.kind, name: t.name, table: t.table })),
  };
}

/** Validates everything; throws one ConfigError carrying every issue. */
export function validateConfig(
  raw: RawConfig,
  registry: Registry,
  extraSections: Record<string, z.ZodType> = {},
): ValidConfig {
  const issues: ConfigIssue[] = [];
  const known = new Set(['agent', 'global_tags', ...Object.keys(extraSections)]);
  for (const [name, section] of raw.sections) {
    if (!known.has(name))
      issues.push({
        file: [...section.files.values()][0],
        path: name,
        message: `unknown section (known: agent, global_tags, inputs, processors, outputs${Object.keys(
          extraSections,
        )
          .map((s) => ', ' + s)
          .join('')})`,
      });
  }
  const sectionValue = (name: string): { value: unknown; file?: string } => {
    const s = raw.sections.get(name);
    if (s === undefined) return { value: undefined };
    return { value: '' in s.table ? s.table[''] : s.table, file: [...s.files.values()][0] };
  };
  const a = sectionValue('agent');
  const agent = agentSchema.safeParse(a.value ?? {});
  if (!agent.success)
    issues.push(...zodIssues(agent.error, { file: a.file, prefix: 'agent' }, shapeKeys(agentObject)));
  const g = sectionValue('global_tags');
  const globalTags = z.record(z.string(), z.string()).safeParse(g.value ?? {});
  if (!globalTags.success)
    issues.push(...zodIssues(globalTags.error, { file: g.file, prefix: 'global_tags' }));
  const extra: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(extraSections)) {
    const s = sectionValue(name);
    const r = schema.safeParse(s.value);
    if (r.success) extra[name] = r.data;
    else issues.push(...zodIssues(r.error, { file: s.file, prefix: name }));
  }

  const totals = new Map<string, number>();
  for (const t of raw.plugins)
    totals.set(`${t.kind}.${t.name}`, (totals.get(`${t.kind}.${t.name}`) ?? 0) + 1);
  const seen = new Map<string, number>();
  const labels = new Set<string>();
  const specs: PluginSpec<unknown, unknown>[] = [];
  for (const t of raw.plugins) {
    const key = `${t.kind}.${t.name}`;
    const nth = (seen.get(key) ?? 0) + 1;
    seen.set(key, nth);
    const alias = typeof t.table.alias === 'string' ? t.table.alias : undefined;
    const label = labelFor(t, alias, nth, totals.get(key) ?? 1);
    if (labels.has(label))
      issues.push({ file: t.file, plugin: label, path: 'alias', message: 'two instances share this alias' });
    labels.add(label);
    const spec = validatePlugin(t, registry, label, issues);
    if (spec !== undefined) specs.push(spec);
  }
  if (issues.length > 0) {
    // Only unknown plugins: the more specific code (each line names its own code anyway).
    const unknown = issues.every((i) => i.code === ErrorCode.PLUGIN_UNKNOWN);
    throw new ConfigError(
      unknown ? ErrorCode.PLUGIN_UNKNOWN : ErrorCode.CONFIG_INVALID,
      hideSubstitutedIn(issues, raw.substituted),
    );
  }

  const processors = (specs.filter((s) => s.id.kind === 'processor') as ProcessorSpec[])
    .map((s, i) => ({ s, i }))
    .sort((x, y) => (x.s.common.order ?? x.i) - (y.s.common.order ?? y.i) || x.i - y.i)
    .map((x) => x.s);
  return {
    files: raw.files,
    agent: agent.data as AgentSettings,
    globalTags: globalTags.data as Record<string, string>,
    inputs: specs.filter((s) => s.id.kind === 'input') as InputSpec[],
    processors,
    outputs: specs.filter((s) => s.id.kind === 'output') as OutputSpec[],
    extra,
    hash: sha(
      specs.map((s) => s.hash).join(',') +
        canonical(a.value ?? {}) +
        canonical(g.value ?? {}) +
        canonical(Object.keys(extraSections).map((n) => sectionValue(n).value ?? null)),
    ),
  };
}
