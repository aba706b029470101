/**
 * Reads config files: one TOML file or a directory of *.toml merged in name order, with env
 * substitution first. Returns raw tables that remember their file, for validation to locate errors.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
import { ErrorCode } from '../model/errors/codes.ts';
import { ConfigError, type ConfigIssue } from '../model/errors/errors.ts';
import type { PluginKind } from '../plugin/types.ts';
import { hideSubstitutedIn, substituteEnv } from './env.ts';

/** One [[inputs.NAME]]-style table with where it came from. */
export interface RawPluginTable {
  kind: PluginKind;
  name: string;
  /** Position among tables of the same kind, across files. */
  index: number;
  file: string;
  table: Record<string, unknown>;
}

/** A section such as [agent] with the file it came from (the last file wins per key). */
export interface RawSection {
  table: Record<string, unknown>;
  files: Map<string, string>;
}

export interface RawConfig {
  files: string[];
  /** Every top-level section other than plugin arrays, merged key by key. */
  sections: Map<string, RawSection>;
  plugins: RawPluginTable[];
  /** Non-empty values substituted from the environment, each mapped to its `${NAME}`. */
  substituted: Map<string, string>;
}

const PLUGIN_SECTIONS: Record<string, PluginKind> = {
  inputs: 'input',
  processors: 'processor',
  outputs: 'output',
};

function listFiles(p: string): string[] {
  let st: fs.Stats;
  try {
    st = fs.statSync(p);
  } catch {
    throw new ConfigError(ErrorCode.CONFIG_NOT_FOUND, [
      { file: p, message: 'config file or directory not found' },
    ]);
  }
  if (!st.isDirectory()) return [p];
  const files = fs
    .readdirSync(p)
    .filter((f) => f.endsWith('.toml'))
    .sort()
    .map((f) => path.join(p, f));
  if (files.length === 0)
    throw new ConfigError(ErrorCode.CONFIG_NOT_FOUND, [
      { file: p, message: 'config directory has no *.toml file' },
    ]);
  return files;
}

const isTable = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Loads and merges config; throws ConfigError listing every read/parse/env problem. */
export function loadConfig(p: string, env: NodeJS.ProcessEnv = process.env): RawConfig {
  const files = listFiles(p);
  const issues: ConfigIssue[] = [];
  const raw: RawConfig = { files, sections: new Map(), plugins: [], substituted: new Map() };
  const counts: Record<PluginKind, number> = { input: 0, processor: 0, output: 0 };
  for (const file of files) {
    const sub = substituteEnv(fs.readFileSync(file, 'utf8'), env, file, raw.substituted);
    issues.push(...sub.issues);
    let doc: Record<string, unknown>;
    try {
      doc = parseToml(sub.text) as Record<string, unknown>;
    } catch (e) {
      const where = e instanceof TomlError ? `${file}:${e.line}:${e.column}` : file;
      const msg = e instanceof Error ? e.message.split('\n')[0] : String(e);
      issues.push({ file: where, message: `invalid TOML: ${msg}` });
      continue;
    }
    for (const [key, value] of Object.entries(doc)) {
      const kind = PLUGIN_SECTIONS[key];
      if (kind !== undefined) {
        if (!isTable(value)) {
          issues.push({ file, path: key, message: `must be tables like [[${key}.NAME]]` });
          continue;
        }
        for (const [name, list] of Object.entries(value)) {
          const tables = Array.isArray(list) ? list : [list];
          for (const t of tables) {
            if (!isTable(t))
              issues.push({ file, path: `${key}.${name}`, message: `must be a table [[${key}.${name}]]` });
            else raw.plugins.push({ kind, name, index: counts[kind]++, file, table: t });
          }
        }
        continue;
      }
      const section = raw.sections.get(key) ?? { table: {}, files: new Map<string, string>() };
      if (isTable(value)) {
        for (const [k, v] of Object.entries(value)) {
          section.table[k] = v;
          section.files.set(k, file);
        }
      } else {
        // A top-level key that is not a table (e.g. `plugins = [...]`): held under its own name.
        section.table[''] = value;
        section.files.set('', file);
      }
      raw.sections.set(key, section);
    }
  }
  if (issues.length > 0)
    throw new ConfigError(
      issues.some((i) => i.message.startsWith('invalid TOML'))
        ? ErrorCode.CONFIG_PARSE
        : ErrorCode.CONFIG_ENV,
      hideSubstitutedIn(issues, raw.substituted),
    );
  return raw;
}
