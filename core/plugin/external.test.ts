import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadConfig } from '../config/load.ts';
import { ErrorCode } from '../model/errors/codes.ts';
import { ConfigError } from '../model/errors/errors.ts';
import { defineInput } from './define.ts';
import { definitionProblem, loadAndValidate, loadExternalPlugins } from './external.ts';
import { Registry } from './registry.ts';

// Fixtures live under the repository (var/ is git-ignored) so `viva/sdk` and zod resolve.
const repoRoot = path.resolve(import.meta.dirname, '..', '..');
fs.mkdirSync(path.join(repoRoot, 'var'), { recursive: true });
const base = fs.mkdtempSync(path.join(repoRoot, 'var', 'tmp-external-'));
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

const builtins = (): Registry =>
  new Registry().register(
    defineInput({ name: 'cpu', description: 'CPU', config: z.strictObject({}), create: () => ({}) }),
  );

let n = 0;
/** Writes files under a fresh directory and returns the path of its viva.toml. */
function setup(files: Record<string, string>): string {
  const dir = path.join(base, `case${++n}`);
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return path.join(dir, 'viva.toml');
}

const load = (config: string, registry = builtins()): Promise<Registry> =>
  loadExternalPlugins(loadConfig(config), registry, { baseDir: path.dirname(config) });

async function failure(p: Promise<unknown>): Promise<ConfigError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ConfigError);
  return e as ConfigError;
}

const PLUGIN = `import { defineInput, defineProcessor, z } from 'viva/sdk';
export const counter = defineInput({
  name: 'counter',
  description: 'Counts',
  config: z.strictObject({ start: z.number().default(0) }),
  create: () => ({ gather: () => undefined }),
});
export const noop = defineProcessor({
  name: 'noop',
  description: 'Passes metrics on',
  config: z.strictObject({}),
  create: () => ({ process: (m) => m }),
});
export const helper = 42;
`;

describe('loadExternalPlugins', () => {
  it('should register the definitions a module exports by name, next to the built-ins', async () => {
    const config = setup({ 'viva.toml': 'plugins = ["./plugin.ts"]\n', 'plugin.ts': PLUGIN });
    const registry = await load(config);
    expect(registry.get('input', 'counter')?.description).toBe('Counts');
    expect(registry.get('processor', 'noop')).toBeDefined();
    expect(registry.get('input', 'cpu')).toBeDefined();
  });

  it('should leave the base registry untouched', async () => {
    const config = setup({ 'viva.toml': 'plugins = ["./plugin.ts"]\n', 'plugin.ts': PLUGIN });
    const registry = builtins();
    await load(config, registry);
    expect(registry.get('input', 'counter')).toBeUndefined();
  });

  it('should accept a default export array of definitions', async () => {
    const config = setup({
      'viva.toml': 'plugins = ["./plugin.ts"]\n',
      'plugin.ts':
        PLUGIN.replace(/export const (counter|noop)/g, 'const $1') + 'export default [counter, noop];\n',
    });
    const registry = await load(config);
    expect(registry.list('input').map((d) => d.name)).toEqual(['counter', 'cpu']);
  });

  it('should resolve a path relative to the config file, wherever viva runs', async () => {
    const config = setup({
      'viva.toml': 'plugins = ["../beside/plugin.ts"]\n',
      '../beside/plugin.ts': PLUGIN,
    });
    expect((await load(config)).get('processor', 'noop')).toBeDefined();
  });

  it('should load an npm package named by a plugin table, from beside the config file', async () => {
    const config = setup({
      'viva.toml': '[[inputs.beacon]]\npackage = "viva-plugin-beacon"\n',
      'node_modules/viva-plugin-beacon/package.json': JSON.stringify({
        name: 'viva-plugin-beacon',
        type: 'module',
        main: 'index.js',
      }),
      'node_modules/viva-plugin-beacon/index.js': `import { z } from 'zod';
export const beacon = { kind: 'input', name: 'beacon', description: 'Beacon', config: z.strictObject({}), create: () => ({}) };
`,
    });
    expect((await load(config)).get('input', 'beacon')?.description).toBe('Beacon');
  });

  it('should import a module named twice only once', async () => {
    const config = setup({
      'viva.toml': 'plugins = ["./plugin.ts", "./plugin.ts"]\n[[inputs.counter]]\npackage = "./plugin.ts"\n',
      'plugin.ts': PLUGIN,
    });
    expect((await load(config)).get('input', 'counter')).toBeDefined();
  });

  it('should report a module that cannot be found, naming the module and the config file', async () => {
    const config = setup({ 'viva.toml': 'plugins = ["./missing.ts", "viva-plugin-nowhere"]\n' });
    const e = await failure(load(config));
    expect(e.code).toBe(ErrorCode.PLUGIN_LOAD);
    expect(e.issues).toHaveLength(2);
    expect(e.issues[0].file).toBe(config);
    expect(e.issues[0].message).toMatch(/^plugin module "\.\/missing\.ts": module not found/);
    expect(e.issues[1].message).toBe('plugin module "viva-plugin-nowhere": module not found');
  });

  it('should report a module that throws at import', async () => {
    const config = setup({
      'viva.toml': 'plugins = ["./boom.ts"]\n',
      'boom.ts': 'throw new Error("no licence key");\n',
    });
    const e = await failure(load(config));
    expect(e.message).toContain('plugin module "./boom.ts": failed to import: no licence key');
  });

  it('should report a module that exports no definitions', async () => {
    const config = setup({
      'viva.toml': 'plugins = ["./empty.ts"]\n',
      'empty.ts': 'export const answer = 42;\n',
    });
    const e = await failure(load(config));
    expect(e.message).toContain('plugin module "./empty.ts": exports no plugin definitions');
  });

  it('should report an export that is not a valid definition', async () => {
    const config = setup({
      'viva.toml': 'plugins = ["./bad.ts"]\n',
      'bad.ts': PLUGIN.replace("name: 'counter'", "name: 'Counter'"),
    });
    const e = await failure(load(config));
    expect(e.message).toContain(
      'export "counter" is not a valid plugin definition: name "Counter" must be snake_case',
    );
  });

  it('should report a plugin that has the name of a built-in', async () => {
    const config = setup({
      'viva.toml': 'plugins = ["./clash.ts"]\n',
      'clash.ts': PLUGIN.replace("name: 'counter'", "name: 'cpu'"),
    });
    const e = await failure(load(config));
    expect(e.message).toContain(
      'plugin module "./clash.ts": input plugin "cpu" is already provided by a built-in plugin',
    );
  });

  it('should report a table whose package does not provide the plugin it names', async () => {
    const config = setup({
      'viva.toml': '[[outputs.counter]]\npackage = "./plugin.ts"\n',
      'plugin.ts': PLUGIN,
    });
    const e = await failure(load(config));
    expect(e.issues[0]).toMatchObject({ file: config, plugin: 'outputs.counter' });
    expect(e.issues[0].message).toContain(
      'provides no output plugin "counter" (it provides: inputs.counter, processors.noop)',
    );
  });
});

describe('definitionProblem', () => {
  const good = {
    kind: 'input',
    name: 'ok',
    description: 'Ok',
    config: z.strictObject({}),
    create: () => ({}),
  };

  it('should accept a definition made of plain values', () => {
    expect(definitionProblem(good)).toBeUndefined();
  });

  it('should say what is wrong with a bad definition', () => {
    expect(definitionProblem({ ...good, kind: 'sink' })).toMatch(/kind must be/);
    expect(definitionProblem({ ...good, config: { type: 'object' } })).toBe('config must be a zod schema');
    expect(definitionProblem({ ...good, create: 'new' })).toBe('create must be a function');
    expect(definitionProblem({ ...good, description: undefined })).toBe('description must be a string');
  });
});

describe('loadAndValidate', () => {
  it('should validate a config that configures an external plugin and lists it in plugins', async () => {
    const config = setup({
      'viva.toml': 'plugins = ["./plugin.ts"]\n\n[[inputs.counter]]\nstart = 5\n\n[[processors.noop]]\n',
      'plugin.ts': PLUGIN,
    });
    const cfg = await loadAndValidate(config, builtins());
    expect(cfg.inputs.map((i) => [i.id.label, i.config])).toEqual([['inputs.counter', { start: 5 }]]);
    expect(cfg.processors).toHaveLength(1);
  });

  it("should reject an unknown key of an external plugin's table like any other", async () => {
    const config = setup({
      'viva.toml': 'plugins = ["./plugin.ts"]\n[[inputs.counter]]\nstrat = 5\n',
      'plugin.ts': PLUGIN,
    });
    const e = await failure(loadAndValidate(config, builtins()));
    expect(e.code).toBe(ErrorCode.CONFIG_INVALID);
    expect(e.message).toContain('strat');
  });

  it('should reject a plugins list that is not a list of strings', async () => {
    const config = setup({ 'viva.toml': 'plugins = "./plugin.ts"\n' });
    const e = await failure(loadAndValidate(config, builtins()));
    expect(e.issues[0].path).toBe('plugins');
  });
});
