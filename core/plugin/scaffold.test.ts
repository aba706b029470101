import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Metric } from '../model/metric/metric.ts';
import { sampleToml } from './doc.ts';
import { scaffoldPlugin } from './scaffold.ts';
import { gatherOnce, parseConfig, runProcessor, testContext } from './testing.ts';
import type { AnyDefinition, InputDefinition, OutputDefinition, ProcessorDefinition } from './types.ts';

// Under the repository (var/ is git-ignored) so that `viva/sdk` resolves as it does for authors.
const repoRoot = path.resolve(import.meta.dirname, '..', '..');
fs.mkdirSync(path.join(repoRoot, 'var'), { recursive: true });
const base = fs.mkdtempSync(path.join(repoRoot, 'var', 'tmp-scaffold-'));
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

const read = (folder: string, file: string): string => fs.readFileSync(path.join(folder, file), 'utf8');

async function definitionIn(folder: string): Promise<AnyDefinition> {
  const mod = (await import(pathToFileURL(path.join(folder, 'index.ts')).href)) as Record<
    string,
    AnyDefinition
  >;
  return Object.values(mod)[0];
}

describe('scaffoldPlugin', () => {
  it('should write index.ts, the logic, the schema, a test, sample.toml and README.md', () => {
    const { folder, files } = scaffoldPlugin({ kind: 'input', name: 'weather', dir: base });
    expect(folder).toBe(path.join(base, 'weather'));
    expect(files.sort()).toEqual([
      'README.md',
      'config.ts',
      'index.ts',
      'sample.toml',
      'weather.test.ts',
      'weather.ts',
    ]);
    expect(fs.readdirSync(folder).sort()).toEqual(files.sort());
  });

  it('should import only viva/sdk outside the plugins tree', () => {
    const { folder, inTree } = scaffoldPlugin({ kind: 'output', name: 'outside', dir: base });
    expect(inTree).toBe(false);
    for (const f of ['index.ts', 'outside.ts', 'config.ts', 'outside.test.ts']) {
      const sources = [...read(folder, f).matchAll(/from '([^']+)'/g)].map((m) => m[1]);
      expect(sources.filter((s) => !s.startsWith('./') && s !== 'vitest')).toEqual(
        sources.filter((s) => s === 'viva/sdk'),
      );
    }
  });

  it('should import the core by relative paths inside the plugins tree', () => {
    const root = path.join(base, 'fake-repo');
    const { folder, inTree } = scaffoldPlugin({
      kind: 'processor',
      name: 'inside',
      dir: path.join(root, 'plugins', 'processors'),
      repoRoot: root,
    });
    expect(inTree).toBe(true);
    expect(read(folder, 'index.ts')).toContain(
      `import { defineProcessor } from '../../../core/plugin/define.ts';`,
    );
    expect(read(folder, 'config.ts')).toContain(`import { z } from 'zod';`);
    expect(read(folder, 'inside.test.ts')).not.toContain('viva/sdk');
  });

  it('should generate sample.toml from the schema and carry it in the README', async () => {
    const { folder } = scaffoldPlugin({ kind: 'processor', name: 'documented', dir: base });
    const def = await definitionIn(folder);
    expect(read(folder, 'sample.toml')).toBe(sampleToml(def));
    expect(read(folder, 'README.md')).toContain('## Configuration\n\n```toml\n' + sampleToml(def) + '```');
  });

  it('should generate an input that gathers one metric', async () => {
    const { folder } = scaffoldPlugin({ kind: 'input', name: 'gathering', dir: base });
    const acc = await gatherOnce((await definitionIn(folder)) as InputDefinition, { value: 7 });
    expect(acc.metrics.map((m) => [m.name, m.fields])).toEqual([['gathering', { value: 7 }]]);
  });

  it('should generate a processor that adds a tag', async () => {
    const { folder } = scaffoldPlugin({ kind: 'processor', name: 'tagging', dir: base });
    const def = (await definitionIn(folder)) as ProcessorDefinition;
    const [m] = await runProcessor(def, {}, [new Metric('cpu', {}, { x: 1 }, 0)]);
    expect(m.tags).toEqual({ processed_by: 'tagging' });
  });

  it('should generate an output that counts what it writes', async () => {
    const { folder } = scaffoldPlugin({ kind: 'output', name: 'counting', dir: base });
    const def = (await definitionIn(folder)) as OutputDefinition;
    const out = (await def.create(parseConfig(def), testContext(def))) as unknown as { written: number } & {
      write(m: Metric[]): Promise<void>;
    };
    await out.write([new Metric('cpu', {}, { x: 1 }, 0)]);
    expect(out.written).toBe(1);
  });

  it('should refuse a name that is not snake_case or clashes with a file of the folder', () => {
    expect(() => scaffoldPlugin({ kind: 'input', name: 'BadName', dir: base })).toThrow(/snake_case/);
    expect(() => scaffoldPlugin({ kind: 'input', name: 'double__underscore', dir: base })).toThrow(
      /snake_case/,
    );
    expect(() => scaffoldPlugin({ kind: 'input', name: 'index', dir: base })).toThrow(/clash/);
  });

  it('should refuse to overwrite an existing folder', () => {
    fs.mkdirSync(path.join(base, 'taken'));
    fs.writeFileSync(path.join(base, 'taken', 'keep.txt'), 'mine');
    expect(() => scaffoldPlugin({ kind: 'output', name: 'taken', dir: base })).toThrow(/already exists/);
    expect(fs.readdirSync(path.join(base, 'taken'))).toEqual(['keep.txt']);
  });
});
