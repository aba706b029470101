/**
 * The package as an operator installs it: `npm pack`, then `npm install -g` of the tarball into a
 * fresh prefix, then the installed `viva` run with the machine's own node first on PATH (which may
 * be older than 22.18: the launcher starts the Node 24 of the `node` dependency). The installed
 * agent reads host metrics, loads an external plugin written in TypeScript and sends to the
 * installed collector.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, repoRoot, tempDir, waitFor } from '../helpers/viva.ts';

const running: { kill: (s: NodeJS.Signals) => boolean }[] = [];
let dir = '';
let tarball = '';
let prefix = '';
let viva = '';
let installed = '';
/** The machine's own node first, as on a fresh machine (npm from the same PATH installs). */
const env = { ...process.env, PATH: `/usr/bin:/bin:${process.env.PATH ?? ''}` };

function npm(args: string[], cwd: string): string {
  return execFileSync('npm', args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function start(args: string[], runEnv: NodeJS.ProcessEnv = env) {
  const child = spawn(viva, args, { cwd: dir, env: runEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  running.push(child);
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout.resume();
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  return { child, stderr: () => err, exited };
}

async function ready(port: number): Promise<boolean> {
  return (await fetch(`http://127.0.0.1:${port}/ready`)).ok;
}

beforeAll(() => {
  dir = tempDir('viva-pack-');
  const name = npm(['pack', '--pack-destination', dir, '--silent'], repoRoot).trim().split('\n').pop() ?? '';
  tarball = path.join(dir, name);
  prefix = path.join(dir, 'prefix');
  npm(['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', tarball], dir);
  viva = path.join(prefix, 'bin', 'viva');
  installed = path.join(prefix, 'lib', 'node_modules', 'viva');
});

afterAll(() => {
  for (const p of running) p.kill('SIGKILL');
});

describe('npm pack and npm install -g', () => {
  it('should pack the runtime, configs, deploy files and docs, and no tests', () => {
    const files = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).trim().split('\n');
    for (const f of [
      'bin/viva.js',
      'bin/malloc-tunables.js',
      'bin/viva.ts',
      'core/sdk.ts',
      'collector/collector.ts',
      'plugins/inputs/cpu/index.ts',
      'conf/agent.toml',
      'deploy/systemd/viva-agent.service',
      'deploy/systemd/install.sh',
      'deploy/docker/warm-compile-cache.js',
      'deploy/k8s/base/kustomization.yaml',
      'docs/OPERATIONS.md',
    ])
      expect(files).toContain(`package/${f}`);
    expect(files.filter((f) => f.endsWith('.test.ts') || f.startsWith('package/test/'))).toEqual([]);
    expect(fs.statSync(tarball).size).toBeLessThan(2 * 1024 * 1024);
  });

  it('should give a `viva` command that prints its usage and checks the shipped agent config', () => {
    const help = spawnSync(viva, ['--help'], { cwd: dir, env, encoding: 'utf8' });
    expect(help.stderr).toBe('');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: viva <command>/);
    expect(help.stdout).toContain('collector -c');
    const check = spawnSync(viva, ['config', 'check', '-c', path.join(installed, 'conf', 'agent.toml')], {
      cwd: dir,
      env,
      encoding: 'utf8',
    });
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
  });

  it('should keep its stripped TypeScript in the compile cache, so a later start strips none of it', () => {
    const cache = path.join(dir, 'compile-cache');
    const run = () =>
      spawnSync(viva, ['plugins', 'list'], {
        cwd: dir,
        env: { ...env, NODE_COMPILE_CACHE: cache },
        encoding: 'utf8',
      });
    const first = run();
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    const stripped = fs
      .readdirSync(cache, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.includes('viva-stripped') && f.endsWith('.js'));
    expect(stripped.length).toBeGreaterThan(50);
    const second = run();
    expect(second.stderr).toBe('');
    expect(second.status).toBe(0);
    expect(second.stdout).toBe(first.stdout);
  });

  it('should warm at image build (deploy/docker) a compile cache from which the collector and the agent strip nothing', async () => {
    // The Dockerfile runs the warm-up as the runtime user; a container then only reads the cache.
    const cache = path.join(dir, 'image-cache');
    const warmEnv = { ...env, NODE_COMPILE_CACHE: cache };
    const warm = spawnSync('node', [path.join(installed, 'deploy', 'docker', 'warm-compile-cache.js')], {
      cwd: dir,
      env: warmEnv,
      encoding: 'utf8',
    });
    expect(warm.stderr).toBe('');
    expect(warm.status).toBe(0);
    const stripped = () =>
      fs
        .readdirSync(cache, { recursive: true, encoding: 'utf8' })
        .filter((f) => f.includes('viva-stripped') && f.endsWith('.js'))
        .sort();
    const warmed = stripped();
    expect(warmed.length).toBeGreaterThan(200);

    // A container's start: the collector and an agent, other ports and plugins than the warm-up's.
    const [listen, collAdmin, agentAdmin] = [await freePort(), await freePort(), await freePort()];
    fs.writeFileSync(
      path.join(dir, 'image-collector.toml'),
      `[agent]\ndata_dir = "${dir}/image-collector"\n\n[collector]\nlisten = "127.0.0.1:${listen}"\n` +
        `admin_listen = "127.0.0.1:${collAdmin}"\n\n[[routes]]\nname = "all"\ndestinations = ["d"]\n\n` +
        `[[destinations]]\nname = "d"\noutputs = ["discard"]\n\n[[outputs.discard]]\nalias = "discard"\n`,
    );
    fs.writeFileSync(
      path.join(dir, 'image-agent.toml'),
      `[agent]\ninterval = "1s"\nflush_interval = "1s"\nhttp_listen = "127.0.0.1:${agentAdmin}"\n` +
        `data_dir = "${dir}/image-agent"\n\n[[inputs.cpu]]\n[[inputs.mem]]\n[[processors.rename]]\n\n` +
        `[[outputs.viva]]\nurls = ["http://127.0.0.1:${listen}"]\n`,
    );
    const collector = start(['collector', '-c', path.join(dir, 'image-collector.toml')], warmEnv);
    await waitFor(() => ready(collAdmin), 'the collector to be ready', 60_000);
    const agent = start(['agent', '-c', path.join(dir, 'image-agent.toml')], warmEnv);
    await waitFor(() => ready(agentAdmin), 'the agent to be ready', 60_000);
    for (const port of [collAdmin, agentAdmin]) await fetch(`http://127.0.0.1:${port}/metrics`);
    agent.child.kill('SIGTERM');
    collector.child.kill('SIGTERM');
    expect(await agent.exited).toBe(0);
    expect(await collector.exited).toBe(0);
    expect(stripped()).toEqual(warmed);
  });

  it('should run the installed agent (host inputs, a TypeScript plugin) into the installed collector', async () => {
    // An external plugin in TypeScript beside the config, outside node_modules: Node strips it.
    const plugin = path.join(dir, 'plugin');
    fs.mkdirSync(plugin);
    for (const f of ['package.json', 'index.ts', 'random_walk.ts', 'uppercase_tags.ts'])
      fs.copyFileSync(path.join(repoRoot, 'examples', 'viva-plugin-example', f), path.join(plugin, f));
    const [listen, collAdmin, agentAdmin] = [await freePort(), await freePort(), await freePort()];
    const out = path.join(dir, 'received.lp');
    fs.writeFileSync(
      path.join(dir, 'collector.toml'),
      `[agent]\ndata_dir = "${dir}/collector"\n\n[collector]\nlisten = "127.0.0.1:${listen}"\n` +
        `admin_listen = "127.0.0.1:${collAdmin}"\n\n[[routes]]\nname = "all"\ndestinations = ["files"]\n\n` +
        `[[destinations]]\nname = "files"\noutputs = ["out"]\n\n[[outputs.file]]\nalias = "out"\nfiles = ["${out}"]\n`,
    );
    fs.writeFileSync(
      path.join(dir, 'agent.toml'),
      `plugins = ["./plugin"]\n\n[agent]\ninterval = "1s"\nflush_interval = "1s"\n` +
        `http_listen = "127.0.0.1:${agentAdmin}"\ndata_dir = "${dir}/agent"\n\n` +
        `[[inputs.cpu]]\n[[inputs.mem]]\n[[inputs.random_walk]]\nwalkers = 1\n\n` +
        `[[outputs.viva]]\nurls = ["http://127.0.0.1:${listen}"]\n`,
    );
    const collector = start(['collector', '-c', path.join(dir, 'collector.toml')]);
    await waitFor(() => ready(collAdmin), 'the installed collector to be ready', 60_000);
    const agent = start(['agent', '-c', path.join(dir, 'agent.toml')]);
    const text = () => (fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '');
    await waitFor(
      () =>
        ['cpu,', 'mem,', 'random_walk,'].every((m) =>
          text()
            .split('\n')
            .some((l) => l.startsWith(m)),
        ),
      'cpu, mem and random_walk metrics at the collector',
      60_000,
    );
    agent.child.kill('SIGTERM');
    collector.child.kill('SIGTERM');
    expect(await agent.exited).toBe(0);
    expect(await collector.exited).toBe(0);
    expect(agent.stderr()).not.toMatch(/ERR_UNSUPPORTED|"level":(50|60)/);
    expect(collector.stderr()).not.toMatch(/ERR_UNSUPPORTED|"level":(50|60)/);
  });
});
