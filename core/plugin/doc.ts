/**
 * Docs generated from a plugin's schema, the single source of truth: the sample.toml block and
 * the option table of `viva plugins doc NAME`. The compliance test checks every plugin's
 * sample.toml and README against these.
 */
import { stringify } from 'smol-toml';
import type { z } from 'zod';
import { sectionOf } from './registry.ts';
import type { AnyDefinition } from './types.ts';

interface Def {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  defaultValue?: unknown;
  entries?: Record<string, string>;
  element?: z.ZodType;
  options?: z.ZodType[];
}

const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** One documented option. */
export interface OptionDoc {
  key: string;
  type: string;
  description: string;
  required: boolean;
  /** Default as written in TOML, or undefined. */
  default: string | undefined;
  /** Example value (from `.meta({ example })`) as written in TOML, for required keys. */
  example: string | undefined;
}

function typeName(s: z.ZodType): string {
  const d = defOf(s);
  switch (d.type) {
    case 'optional':
    case 'default':
    case 'prefault':
    case 'nullable':
      return typeName(d.innerType as z.ZodType);
    case 'pipe':
      return typeName(d.in as z.ZodType);
    case 'enum':
      return Object.values(d.entries ?? {})
        .map((v) => JSON.stringify(v))
        .join(' | ');
    case 'array':
      return `array of ${typeName(d.element as z.ZodType)}`;
    case 'record':
      return 'table';
    case 'object':
      return 'table';
    case 'union':
      return (d.options ?? [])
        .map(typeName)
        .filter((v, i, a) => a.indexOf(v) === i)
        .join(' | ');
    default:
      return d.type;
  }
}

/** A value as it is written after `key =` in TOML (tables inline). */
function tomlValue(v: unknown): string {
  if (Array.isArray(v)) return '[' + v.map(tomlValue).join(', ') + ']';
  if (typeof v === 'object' && v !== null) {
    const parts = Object.entries(v).map(
      ([k, x]) => `${/^[A-Za-z0-9_-]+$/.test(k) ? k : JSON.stringify(k)} = ${tomlValue(x)}`,
    );
    return parts.length === 0 ? '{}' : '{ ' + parts.join(', ') + ' }';
  }
  const doc = stringify({ v });
  return doc.slice(doc.indexOf('=') + 1).trim();
}

/** Options of a schema, in declaration order. */
export function optionDocs(schema: z.ZodType): OptionDoc[] {
  const shape = (schema as unknown as { shape?: Record<string, z.ZodType> }).shape ?? {};
  return Object.entries(shape).map(([key, s]) => {
    let cur = s;
    let def: unknown;
    let required = true;
    for (let d = defOf(cur); ; d = defOf(cur)) {
      if (d.type === 'default' || d.type === 'prefault') {
        def = typeof d.defaultValue === 'function' ? (d.defaultValue as () => unknown)() : d.defaultValue;
        required = false;
      } else if (d.type === 'optional') required = false;
      else break;
      cur = d.innerType as z.ZodType;
    }
    const example = (s.meta()?.example ?? cur.meta()?.example) as unknown;
    return {
      key,
      example: example === undefined ? undefined : tomlValue(example),
      type: typeName(s),
      description: s.description ?? cur.description ?? '',
      required,
      default: def === undefined ? undefined : tomlValue(def),
    };
  });
}

/** The sample.toml of a plugin: every option with its description, defaults uncommented. */
export function sampleToml(def: AnyDefinition): string {
  const lines = [`# ${def.description}.`, `[[${sectionOf(def.kind)}.${def.name}]]`];
  for (const o of optionDocs(def.config)) {
    if (o.description !== '') lines.push(`  ## ${o.description}${o.required ? ' (required)' : ''}`);
    if (o.default !== undefined) lines.push(`  ${o.key} = ${o.default}`);
    else if (o.example !== undefined) lines.push(`  ${o.key} = ${o.example}`);
    else lines.push(`  # ${o.key} = ${o.required ? '<' + o.type + '>' : ''}`.trimEnd());
  }
  return lines.join('\n') + '\n';
}

/** Markdown option table for READMEs and `viva plugins doc`. */
export function optionTable(def: AnyDefinition): string {
  return schemaTable(def.config);
}

/** Markdown option table of any object schema (plugin options, [agent], common keys). */
export function schemaTable(schema: z.ZodType): string {
  const rows = optionDocs(schema).map(
    (o) =>
      `| \`${o.key}\` | ${o.type.replace(/\|/g, '\\|')} | ${o.default === undefined ? (o.required ? 'required' : '—') : `\`${o.default.replace(/\|/g, '\\|')}\``} | ${o.description} |`,
  );
  return ['| key | type | default | description |', '| --- | --- | --- | --- |', ...rows].join('\n');
}
