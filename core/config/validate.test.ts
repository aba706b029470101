import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ErrorCode } from '../model/errors/codes.ts';
import { ConfigError } from '../model/errors/errors.ts';
import { defineInput, defineOutput } from '../plugin/define.ts';
import { Registry } from '../plugin/registry.ts';
import { loadConfig } from './load.ts';
import { validateConfig } from './validate.ts';

const registry = new Registry().register(
  defineInput({
    name: 'gen',
    description: 'test input',
    config: z.strictObject({ rate: z.number().default(1), name: z.string().default('x') }),
    create: () => ({ gather: () => undefined }),
  }),
  defineOutput({
    name: 'sink',
    description: 'test output',
    config: z.strictObject({ url: z.string() }),
    create: () => ({ write: async () => undefined }),
  }),
);

function write(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'viva-cfg-'));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

function issuesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e.message.split('\n');
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('config validation', () => {
  it('should accept a valid config and apply defaults', () => {
    const dir = write({
      'a.toml': '[agent]\ninterval = "5s"\n[[inputs.gen]]\n[[outputs.sink]]\nurl = "http://x"\n',
    });
    const cfg = validateConfig(loadConfig(path.join(dir, 'a.toml')), registry);
    expect(cfg.agent.interval).toBe(5000);
    expect(cfg.agent.flush_interval).toBe(10_000);
    expect(cfg.inputs[0].config).toEqual({ rate: 1, name: 'x' });
    expect(cfg.outputs[0].common.when_full).toBe('drop_oldest');
  });

  it('should name file, plugin instance and key for a misspelled key, with a suggestion', () => {
    const dir = write({ 'a.toml': '[[inputs.gen]]\nalias = "one"\nrat = 5\n' });
    const file = path.join(dir, 'a.toml');
    expect(issuesOf(() => validateConfig(loadConfig(file), registry))).toEqual([
      `${file}: inputs.gen:one: rat: unknown key (did you mean "rate"?)`,
    ]);
  });

  it('should report every problem at once, not just the first', () => {
    const dir = write({
      'a.toml': '[agent]\nintervl = "1s"\n[[inputs.gen]]\nrate = "fast"\n[[inputs.nope]]\n[[outputs.sink]]\n',
    });
    const lines = issuesOf(() => validateConfig(loadConfig(dir), registry));
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/agent\.intervl: unknown key \(did you mean "interval"\?\)/);
    expect(lines[1]).toMatch(/inputs\.gen: rate: .*number/i);
    expect(lines[2]).toMatch(/inputs\.nope: unknown input plugin "nope"/);
    expect(lines[3]).toMatch(/outputs\.sink: url: /);
  });

  it('should raise VIVA_ERR_PLUGIN_UNKNOWN for a plugin no registry has, and name it on its line', () => {
    const dir = write({ 'a.toml': '[[inputs.nope]]\n[[outputs.sink]]\nurl = "x"\n' });
    let err: unknown;
    try {
      validateConfig(loadConfig(dir), registry);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe(ErrorCode.PLUGIN_UNKNOWN);
    expect((err as ConfigError).message).toMatch(
      /inputs\.nope: unknown input plugin "nope" .*VIVA_ERR_PLUGIN_UNKNOWN/,
    );
  });

  it('should report bad TOML with line and column', () => {
    const dir = write({ 'a.toml': '[agent]\ninterval = \n' });
    const [line] = issuesOf(() => loadConfig(path.join(dir, 'a.toml')));
    expect(line).toMatch(/a\.toml:2:\d+: invalid TOML/);
  });

  it('should substitute environment variables with defaults and required markers', () => {
    const dir = write({
      'a.toml': '[[outputs.sink]]\nurl = "${SINK_URL:-http://fallback}"\nalias = "${NAME}"\n',
    });
    const cfg = validateConfig(loadConfig(dir, { NAME: 'primary' }), registry);
    expect(cfg.outputs[0].config).toEqual({ url: 'http://fallback' });
    expect(cfg.outputs[0].id.label).toBe('outputs.sink:primary');
    const dir2 = write({
      'a.toml': '[[outputs.sink]]\nurl = "${SINK_URL:?set SINK_URL to the sink address}"\n',
    });
    expect(issuesOf(() => loadConfig(dir2, {}))[0]).toMatch(
      /a\.toml:2: \$\{SINK_URL\}: set SINK_URL to the sink address/,
    );
  });

  it('should merge a directory of files in name order', () => {
    const dir = write({
      '10-agent.toml': '[agent]\ninterval = "1s"\n[[inputs.gen]]\nalias = "a"\n',
      '20-more.toml':
        '[agent]\nflush_interval = "2s"\n[[inputs.gen]]\nalias = "b"\n[[outputs.sink]]\nurl = "u"\n',
      'ignored.txt': 'not toml',
    });
    const cfg = validateConfig(loadConfig(dir), registry);
    expect(cfg.agent.interval).toBe(1000);
    expect(cfg.agent.flush_interval).toBe(2000);
    expect(cfg.inputs.map((i) => i.id.label)).toEqual(['inputs.gen:a', 'inputs.gen:b']);
    expect(cfg.inputs[1].file).toBe(path.join(dir, '20-more.toml'));
  });

  it('should reject two instances sharing an alias and unknown sections', () => {
    const dir = write({ 'a.toml': '[outptus]\n[[inputs.gen]]\nalias = "x"\n[[inputs.gen]]\nalias = "x"\n' });
    const lines = issuesOf(() => validateConfig(loadConfig(dir), registry));
    expect(lines.some((l) => /outptus: unknown section/.test(l))).toBe(true);
    expect(lines.some((l) => /inputs\.gen:x: alias: two instances share this alias/.test(l))).toBe(true);
  });

  it('should say when the config file is missing', () => {
    expect(issuesOf(() => loadConfig('/nonexistent/viva.toml'))[0]).toBe(
      '/nonexistent/viva.toml: config file or directory not found',
    );
  });

  it('should give an unchanged plugin table the same identity hash across loads', () => {
    const a = write({ 'a.toml': '[[inputs.gen]]\nrate = 2\n[[outputs.sink]]\nurl = "u"\n' });
    const b = write({ 'a.toml': '[[inputs.gen]]\nrate = 2\n[[outputs.sink]]\nurl = "v"\n' });
    const ca = validateConfig(loadConfig(a), registry);
    const cb = validateConfig(loadConfig(b), registry);
    expect(ca.inputs[0].hash).toBe(cb.inputs[0].hash);
    expect(ca.outputs[0].hash).not.toBe(cb.outputs[0].hash);
  });
});
