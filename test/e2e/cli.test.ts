/**
 * The `viva` command line as an operator uses it: config check, plugins, --test and --once.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, repoRoot, runViva, startViva, tempDir, vivaBin, waitFor } from '../helpers/viva.ts';

describe('viva command line', () => {
  it('should pass `config check` on the shipped configs', async () => {
    for (const f of ['conf/demo.toml', 'conf/agent.toml']) {
      if (!fs.existsSync(path.join(repoRoot, f))) continue;
      const r = await runViva(['config', 'check', '-c', f]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^config ok: /);
    }
  });

  it('should exit 3 and list every problem for an invalid config', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'bad.toml');
    fs.writeFileSync(file, '[agent]\ninterval = "soon"\n[[outputs.fil]]\n');
    const r = await runViva(['config', 'check', '-c', file]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('2 problems');
    expect(r.stderr).toContain(`${file}: agent.interval: invalid duration "soon"`);
    expect(r.stderr).toContain(`${file}: outputs.fil: unknown output plugin "fil"`);
  });

  it('should refuse an empty secret, e.g. a token from an unset environment variable', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'empty-secret.toml');
    fs.writeFileSync(
      file,
      [
        '[agent]',
        'http_auth_token = "${ADMIN_TOKEN}"',
        '[[inputs.http_listener]]',
        'service_address = "127.0.0.1:0"',
        'token = ""',
        '[[outputs.discard]]',
        '',
      ].join('\n'),
    );
    const r = await runViva(['config', 'check', '-c', file], { env: { ADMIN_TOKEN: undefined } });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`${file}: agent.http_auth_token: must not be empty`);
    expect(r.stderr).toContain(`${file}: inputs.http_listener: token: must not be empty`);
  });

  it('should not quote a value substituted from the environment in a config error', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'leak.toml');
    fs.writeFileSync(
      file,
      '[agent]\ninterval = "${SECRET}"\n[[outputs.http]]\nurl = "${SECRET}"\n[[outputs.discard]]\n',
    );
    const r = await runViva(['config', 'check', '-c', file], { env: { SECRET: 's3cr3t-value-42' } });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`${file}: agent.interval: invalid duration "\${SECRET}"`);
    expect(r.stderr).not.toContain('s3cr3t-value-42');
  });

  it('should point at line and column of broken TOML', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'broken.toml');
    fs.writeFileSync(file, '[agent]\ninterval = "1s\n');
    const r = await runViva(['config', 'check', '-c', file]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(new RegExp(`${file}:2:\\d+: invalid TOML`));
  });

  it('should say so when the config file does not exist', async () => {
    const r = await runViva(['agent', '-c', '/nonexistent/agent.toml']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('/nonexistent/agent.toml: config file or directory not found');
  });

  it('should exit 2 with usage on an unknown command', async () => {
    const r = await runViva(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown command "frobnicate"');
  });

  it('should run as an executable, the way an installed `viva` does (node flags of its first line)', () => {
    // `env` finds node on PATH: put this node first, as an install puts its node there.
    const PATH = `${path.dirname(process.execPath)}:${process.env.PATH ?? ''}`;
    const r = spawnSync(vivaBin, ['plugins', 'list'], { env: { ...process.env, PATH }, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^inputs:\n(.|\n)*generator/);
  });

  it('should say how to keep memory flat when node runs the agent without --no-memory-reducer', async () => {
    const dir = tempDir();
    const admin = await freePort();
    const file = path.join(dir, 'agent.toml');
    fs.writeFileSync(
      file,
      `[agent]\nhttp_listen = "127.0.0.1:${admin}"\ndata_dir = "${dir}"\n\n` +
        `[[inputs.generator]]\nrate = 10\n\n[[outputs.discard]]\n`,
    );
    const runUntilReady = async (start: () => { stderr: () => string; stop: () => Promise<unknown> }) => {
      const p = start();
      await waitFor(async () => (await fetch(`http://127.0.0.1:${admin}/ready`)).ok, 'the agent to be ready');
      await waitFor(() => p.stderr().includes('"msg":"agent started"'), 'the start log line');
      await p.stop();
      return p.stderr();
    };
    // As the bin runs it (the flag of its first line): no hint.
    const asBin = await runUntilReady(() => {
      const v = startViva(['agent', '-c', file]);
      return { stderr: v.stderr, stop: () => (v.child.kill('SIGTERM'), v.exited) };
    });
    expect(asBin).not.toContain('memory reducer');
    // `node bin/viva.ts`: the hint, once.
    const plain = await runUntilReady(() => {
      const child = spawn(process.execPath, [vivaBin, 'agent', '-c', file], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const exited = new Promise((resolve) => child.on('exit', resolve));
      return { stderr: () => err, stop: () => (child.kill('SIGTERM'), exited) };
    });
    expect(plain.match(/V8 memory reducer on/g)).toHaveLength(1);
    expect(plain).toContain('node --no-memory-reducer bin/viva.ts');
  });

  it('should list plugins and print a plugin doc generated from its schema', async () => {
    const list = await runViva(['plugins', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/inputs:\n(.|\n)*generator/);
    const doc = await runViva(['plugins', 'doc', 'generator']);
    expect(doc.code).toBe(0);
    expect(doc.stdout).toContain('| `rate` | number | `0` |');
    expect(doc.stdout).toContain('[[inputs.generator]]');
  });

  it('should print what inputs produce with --test and write nothing to outputs', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'a.toml');
    fs.writeFileSync(
      file,
      `[agent]\nomit_hostname = true\ndata_dir = "${dir}"\n[global_tags]\ndc = "eu"\n[[inputs.generator]]\nseries = 3\nfield_count = 1\ntag_count = 0\n[[outputs.file]]\nfiles = ["${dir}/out.lp"]\n`,
    );
    const r = await runViva(['agent', '-c', file, '--test']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^generated,dc=eu,series=s0 seq=0i,value0=\S+ \d{19}$/);
    expect(fs.existsSync(path.join(dir, 'out.lp'))).toBe(false);
  });

  it('should gather once, flush to the outputs and exit with --once', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'a.toml');
    fs.writeFileSync(
      file,
      `[agent]\ndata_dir = "${dir}"\n[[inputs.generator]]\nseries = 5\n[[outputs.file]]\nfiles = ["${dir}/out.lp"]\n`,
    );
    const r = await runViva(['agent', '-c', file, '--once']);
    expect(r.code).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'out.lp'), 'utf8').trim().split('\n')).toHaveLength(5);
  });
});
