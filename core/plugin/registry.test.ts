import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError } from '../model/errors/errors.ts';
import { defineInput, defineOutput } from './define.ts';
import { loadAndValidate } from './external.ts';
import { lazy, Registry } from './registry.ts';

/** A lazy registry of two inputs and an output that counts the modules it imported. */
function counted(): { registry: Registry; imported: string[] } {
  const imported: string[] = [];
  const input = (name: string) =>
    lazy(
      'input',
      name,
      async () => {
        imported.push(name);
        return {
          def: defineInput({
            name,
            description: `input ${name}`,
            config: z.strictObject({ rate: z.number().default(1) }),
            create: () => ({ gather: () => undefined }),
          }),
        };
      },
      (m) => m.def,
    );
  const output = lazy(
    'output',
    'sink',
    async () => {
      imported.push('sink');
      return {
        def: defineOutput({
          name: 'sink',
          description: 'output sink',
          config: z.strictObject({}),
          create: () => ({ write: async () => undefined }),
        }),
      };
    },
    (m) => m.def,
  );
  return { registry: new Registry().registerLazy(input('cpu'), input('kafka'), output), imported };
}

function configFile(text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'viva-lazy-'));
  fs.writeFileSync(path.join(dir, 'viva.toml'), text);
  return path.join(dir, 'viva.toml');
}

describe('Registry with lazy built-ins', () => {
  it('should import only the plugins a config names', async () => {
    const { registry, imported } = counted();
    const cfg = await loadAndValidate(configFile('[[inputs.cpu]]\n  rate = 2\n[[outputs.sink]]\n'), registry);
    expect(imported.sort()).toEqual(['cpu', 'sink']);
    expect(cfg.inputs.map((p) => p.config)).toEqual([{ rate: 2 }]);
    expect(cfg.outputs.map((p) => p.id.name)).toEqual(['sink']);
  });

  it('should name every registered plugin, imported or not, when a config names an unknown one', async () => {
    const { registry, imported } = counted();
    const err = await loadAndValidate(configFile('[[inputs.cpux]]\n[[outputs.sink]]\n'), registry).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain('unknown input plugin "cpux" (known: cpu, kafka)');
    expect(imported).toEqual(['sink']);
  });

  it('should list every plugin after loadAll', async () => {
    const { registry, imported } = counted();
    expect(registry.list('input')).toEqual([]);
    await registry.loadAll();
    expect(registry.list('input').map((d) => d.name)).toEqual(['cpu', 'kafka']);
    expect(imported.sort()).toEqual(['cpu', 'kafka', 'sink']);
  });

  it('should refuse a name registered twice, lazy or not', () => {
    const { registry } = counted();
    expect(() =>
      registry.register(
        defineOutput({
          name: 'sink',
          description: 'again',
          config: z.strictObject({}),
          create: () => ({ write: async () => undefined }),
        }),
      ),
    ).toThrow(/registered twice/);
  });

  it('should fail when a module defines another plugin than the name it is listed under', async () => {
    const wrong = lazy(
      'input',
      'mem',
      async () => ({
        def: defineInput({
          name: 'memory',
          description: 'x',
          config: z.strictObject({}),
          create: () => ({ gather: () => undefined }),
        }),
      }),
      (m) => m.def,
    );
    await expect(new Registry().registerLazy(wrong).load([{ kind: 'input', name: 'mem' }])).rejects.toThrow(
      /loaded a definition named input "memory"/,
    );
  });
});
