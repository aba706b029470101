/**
 * One compliance test over every registered plugin: its folder has the four parts, its
 * sample.toml is exactly what the schema generates and validates as a config, its README
 * carries the sample, its defaults are valid, a typo is rejected, and create/stop leaves no
 * open handles behind.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../core/config/load.ts';
import { inputCommonKeys, outputCommonKeys, processorCommonKeys } from '../core/config/schema.ts';
import { validateConfig } from '../core/config/validate.ts';
import { sampleToml } from '../core/plugin/doc.ts';
import { Registry, sectionOf } from '../core/plugin/registry.ts';
import { testContext } from '../core/plugin/testing.ts';
import type { AnyDefinition } from '../core/plugin/types.ts';
import { builtinInputs } from './inputs/registry.ts';
import { builtinOutputs } from './outputs/registry.ts';
import { builtinProcessors } from './processors/registry.ts';

const registry = await new Registry()
  .registerLazy(...builtinInputs, ...builtinProcessors, ...builtinOutputs)
  .loadAll();
const all: AnyDefinition[] = (['input', 'processor', 'output'] as const).flatMap((k) => registry.list(k));
const folder = (d: AnyDefinition): string => path.join(import.meta.dirname, sectionOf(d.kind), d.name);

const activeHandles = (): number =>
  process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap' && r !== 'Timeout' && r !== 'Immediate')
    .length;

describe.each(all.map((d) => [`${sectionOf(d.kind)}.${d.name}`, d] as const))('plugin %s', (_label, def) => {
  it('should have index.ts, a test, sample.toml and README.md in its folder', () => {
    const files = fs.readdirSync(folder(def));
    expect(files).toContain('index.ts');
    expect(files).toContain('sample.toml');
    expect(files).toContain('README.md');
    expect(files.some((f) => f.endsWith('.test.ts'))).toBe(true);
  });

  it('should have a sample.toml generated from its schema (scripts/gen-sample.ts)', () => {
    expect(fs.readFileSync(path.join(folder(def), 'sample.toml'), 'utf8')).toBe(sampleToml(def));
  });

  it('should carry its sample.toml in the README', () => {
    const readme = fs.readFileSync(path.join(folder(def), 'README.md'), 'utf8');
    expect(readme).toContain('```toml\n' + sampleToml(def));
  });

  it('should validate its sample.toml as a config', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'viva-compliance-'));
    fs.copyFileSync(path.join(folder(def), 'sample.toml'), path.join(dir, 'sample.toml'));
    const cfg = validateConfig(loadConfig(dir), registry);
    expect(cfg[sectionOf(def.kind)]).toHaveLength(1);
  });

  it('should not shadow a key the core owns on every table', () => {
    const own = Object.keys((def.config as unknown as { shape?: object }).shape ?? {});
    const core = Object.keys(
      { input: inputCommonKeys, processor: processorCommonKeys, output: outputCommonKeys }[def.kind],
    );
    expect(own.filter((k) => core.includes(k))).toEqual([]);
  });

  it('should reject a misspelled key', () => {
    expect(def.config.safeParse({ definitely_not_an_option: 1 }).success).toBe(false);
  });

  it('should be created from its sample config and stopped without leaving open handles', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'viva-compliance-'));
    fs.copyFileSync(path.join(folder(def), 'sample.toml'), path.join(dir, 'sample.toml'));
    const cfg = validateConfig(loadConfig(dir), registry);
    const spec = cfg[sectionOf(def.kind)][0];
    const before = activeHandles();
    const abort = new AbortController();
    const instance = await def.create(spec.config as never, testContext(def, { signal: abort.signal }));
    abort.abort();
    if ('stop' in instance && typeof instance.stop === 'function') await instance.stop();
    if ('close' in instance && typeof instance.close === 'function') await instance.close();
    await new Promise((r) => setTimeout(r, 20));
    expect(activeHandles()).toBeLessThanOrEqual(before);
  });
});
