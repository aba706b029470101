import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError } from '../../model/errors/errors.ts';
import { defineInput, defineOutput } from '../../plugin/define.ts';
import { Registry } from '../../plugin/registry.ts';
import { loadConfig } from '../../config/load.ts';
import { centralNameOf, loadWithCentral } from './merge.ts';

const registry = new Registry().register(
  defineInput({
    name: 'gen',
    description: 'test input',
    config: z.strictObject({ name: z.string().default('x') }),
    create: () => ({ gather: () => undefined }),
  }),
  defineOutput({
    name: 'sink',
    description: 'test output',
    config: z.strictObject({ url: z.string() }),
    create: () => ({ write: async () => undefined }),
  }),
);

function files(texts: Record<string, string>): Record<string, string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'viva-central-'));
  const out: Record<string, string> = {};
  for (const [name, text] of Object.entries(texts)) {
    out[name] = path.join(dir, name);
    fs.writeFileSync(out[name], text);
  }
  return out;
}

const LOCAL = `[agent]
interval = "5s"
hostname = "h1"

[agent.fleet]
collector = "http://127.0.0.1:1"
config = "web"

[global_tags]
dc = "local"

[[inputs.gen]]
alias = "local"
`;

describe('a central config merged after the local one', () => {
  it('should add its plugin tables and win on [agent] and [global_tags] keys, keeping the local fleet section', async () => {
    const f = files({
      'local.toml': LOCAL,
      'central.toml': `[agent]\ninterval = "1s"\n\n[global_tags]\ndc = "central"\nrole = "web"\n\n[[inputs.gen]]\nalias = "central"\nname = "c"\n\n[[outputs.sink]]\nurl = "http://x"\n`,
    });
    const cfg = await loadWithCentral(f['local.toml'], f['central.toml'], registry);
    expect(cfg.inputs.map((i) => i.id.label)).toEqual(['inputs.gen:local', 'inputs.gen:central']);
    expect(cfg.outputs).toHaveLength(1);
    expect(cfg.agent.interval).toBe(1000);
    expect(cfg.agent.hostname).toBe('h1');
    expect(cfg.agent.fleet.config).toBe('web');
    expect(cfg.globalTags).toEqual({ dc: 'central', role: 'web' });
    const alone = await loadWithCentral(f['local.toml'], undefined, registry);
    expect(alone.inputs).toHaveLength(1);
    expect(alone.hash).not.toBe(cfg.hash);
  });

  it('should refuse a central config that carries [agent.fleet]', async () => {
    const f = files({ 'local.toml': LOCAL, 'central.toml': '[agent.fleet]\ncollector = "http://evil:1"\n' });
    const err = await loadWithCentral(f['local.toml'], f['central.toml'], registry).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain('agent.fleet');
  });

  it('should report every problem of a bad central config, naming the key', async () => {
    const f = files({ 'local.toml': LOCAL, 'central.toml': '[[inputs.gen]]\nalias = "c"\nbogus = 1\n' });
    const err = await loadWithCentral(f['local.toml'], f['central.toml'], registry).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain('bogus');
  });

  it('should read which central config the local file asks for', () => {
    const f = files({ 'local.toml': LOCAL, 'none.toml': '[agent]\ninterval = "1s"\n' });
    expect(centralNameOf(loadConfig(f['local.toml']))).toBe('web');
    expect(centralNameOf(loadConfig(f['none.toml']))).toBe('');
  });

  it('should refuse [agent.fleet] config without a collector', async () => {
    const f = files({ 'local.toml': '[agent.fleet]\nconfig = "web"\n' });
    const err = await loadWithCentral(f['local.toml'], undefined, registry).catch((e: unknown) => e);
    expect((err as Error).message).toContain('config needs collector');
  });
});
