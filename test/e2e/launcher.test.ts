/**
 * bin/viva.js, the installed `viva` command and `npm start`: it runs on an old node, starts the
 * Node 24 of the `node` dependency on bin/viva.ts, and stops, flushes and exits as the agent does.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MALLOC_TUNABLES } from '../../bin/malloc-tunables.js';
import { counterValue, freePort, repoRoot, scrape, tempDir, waitFor } from '../helpers/viva.ts';

const launcher = path.join(repoRoot, 'bin', 'viva.js');

/** Every node this machine has among the usual places (the system's own may be older than 22.18). */
function nodes(): string[] {
  return [...new Set([process.execPath, '/usr/bin/node', '/usr/local/bin/node'])].filter((n) =>
    fs.existsSync(n),
  );
}

/** The oldest of them: the launcher must run there. */
function oldestNode(): string {
  const version = (n: string) =>
    spawnSync(n, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim().split('.').map(Number);
  const older = (a: number[], b: number[]) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
  return nodes().sort((a, b) => older(version(a), version(b)))[0];
}

function startAgent(node: string, file: string, env: NodeJS.ProcessEnv = process.env) {
  const child = spawn(node, [launcher, 'agent', '-c', file], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout.resume();
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, stderr: () => err, exited };
}

describe('bin/viva.js launcher', () => {
  it('should run the CLI on every node of the machine and pass on its exit code', () => {
    for (const node of nodes()) {
      const ok = spawnSync(node, [launcher, 'plugins', 'list'], { encoding: 'utf8' });
      expect(ok.stderr, node).toBe('');
      expect(ok.status, node).toBe(0);
      expect(ok.stdout, node).toMatch(/^inputs:\n(.|\n)*generator/);
      const bad = spawnSync(node, [launcher, 'frobnicate'], { encoding: 'utf8' });
      expect(bad.status, node).toBe(2);
      expect(bad.stderr, node).toContain('unknown command "frobnicate"');
    }
  });

  it('should keep the compiled TypeScript in the compile cache, where NODE_COMPILE_CACHE says', () => {
    const cache = tempDir('viva-compile-cache-');
    const run = () =>
      spawnSync(oldestNode(), [launcher, 'plugins', 'list'], {
        env: { ...process.env, NODE_COMPILE_CACHE: cache },
        encoding: 'utf8',
      });
    const first = run();
    expect(first.status).toBe(0);
    expect(fs.readdirSync(cache, { recursive: true }).length).toBeGreaterThan(50);
    const second = run();
    expect(second.stderr).toBe('');
    expect(second.status).toBe(0);
    expect(second.stdout).toBe(first.stdout);
  });

  it('should be executable, as npm links it for the `viva` command and `npm start`', () => {
    expect(fs.statSync(launcher).mode & 0o111).toBe(0o111);
    const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
      bin: Record<string, string>;
      scripts: Record<string, string>;
    };
    expect(pkg.bin.viva).toBe('bin/viva.js');
    expect(pkg.scripts.start).toBe('bin/viva.js demo');
  });

  it('should run installed under node_modules, where node strips no types by itself', () => {
    // An install's layout: the package's files under node_modules/viva, its dependencies beside.
    const pkg = path.join(tempDir(), 'node_modules', 'viva');
    for (const f of ['bin', 'core', 'plugins', 'collector', 'package.json']) {
      fs.cpSync(path.join(repoRoot, f), path.join(pkg, f), {
        recursive: true,
        filter: (src) => !src.endsWith('.test.ts'),
      });
    }
    fs.symlinkSync(path.join(repoRoot, 'node_modules'), path.join(pkg, 'node_modules'));
    const r = spawnSync(oldestNode(), [path.join(pkg, 'bin', 'viva.js'), 'plugins', 'list'], {
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^inputs:\n(.|\n)*generator/);
  });

  it('should stop the agent on SIGINT, delivered once or twice, with a flush and exit code 0', async () => {
    const dir = tempDir();
    const port = await freePort();
    const file = path.join(dir, 'agent.toml');
    const total = 500;
    fs.writeFileSync(
      file,
      `[agent]\nflush_interval = "1h"\nmetric_batch_size = 100000\nhttp_listen = "127.0.0.1:${port}"\n` +
        `data_dir = "${dir}"\n\n[[inputs.generator]]\nrate = 5000\ntotal = ${total}\n\n` +
        `[[outputs.file]]\nfiles = ["${dir}/out.lp"]\n`,
    );
    const out = () => (fs.existsSync(`${dir}/out.lp`) ? fs.readFileSync(`${dir}/out.lp`, 'utf8') : '');
    const p = startAgent(oldestNode(), file);
    await waitFor(
      async () => counterValue(await scrape(port), 'viva_input_gathered_total') === total,
      'all metrics gathered',
    );
    expect(out()).toBe('');
    // As Ctrl-C under `npm start` does: the terminal signals the process group and npm forwards.
    p.child.kill('SIGINT');
    p.child.kill('SIGINT');
    expect(await p.exited).toEqual({ code: 0, signal: null });
    expect(out().trim().split('\n')).toHaveLength(total);
    expect(p.stderr().match(/"msg":"shutting down"/g)).toHaveLength(1);
    expect(p.stderr()).toContain('"msg":"agent stopped"');
    // Started with the node flags of bin/viva.ts's first line: no memory reducer hint.
    expect(p.stderr()).not.toContain('memory reducer');
  });

  it('should pass SIGHUP on to the agent, which reloads its config', async () => {
    const dir = tempDir();
    const port = await freePort();
    const file = path.join(dir, 'agent.toml');
    fs.writeFileSync(
      file,
      `[agent]\nhttp_listen = "127.0.0.1:${port}"\ndata_dir = "${dir}"\nwatch_config = false\n\n` +
        `[[inputs.generator]]\nrate = 10\n\n[[outputs.discard]]\n`,
    );
    const p = startAgent(process.execPath, file);
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/ready`)).ok, 'the agent to be ready');
    p.child.kill('SIGHUP');
    await waitFor(() => p.stderr().includes('"trigger":"SIGHUP"'), 'a reload on SIGHUP in the log');
    p.child.kill('SIGTERM');
    expect(await p.exited).toEqual({ code: 0, signal: null });
  });

  it('should become the agent itself (one process, same PID) on a node with execve, outside a terminal and npm', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'agent.toml');
    const run = async (launcherMode: string | undefined) => {
      const port = await freePort();
      fs.writeFileSync(
        file,
        `[agent]\nhttp_listen = "127.0.0.1:${port}"\ndata_dir = "${dir}"\nwatch_config = false\n\n` +
          `[[inputs.generator]]\nrate = 10\n\n[[outputs.discard]]\n`,
      );
      // As systemd or a container starts it: no terminal on stdin, no npm around it.
      const env: NodeJS.ProcessEnv = { ...process.env, VIVA_LAUNCHER: launcherMode };
      delete env.npm_lifecycle_event;
      if (launcherMode === undefined) delete env.VIVA_LAUNCHER;
      const p = startAgent(process.execPath, file, env);
      await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/ready`)).ok, 'the agent to be ready');
      const pid = Number(/"pid":(\d+)/.exec(p.stderr())?.[1]);
      p.child.kill('SIGTERM');
      expect(await p.exited).toEqual({ code: 0, signal: null });
      expect(p.stderr()).toContain('"msg":"agent stopped"');
      return { launcher: p.child.pid, agent: pid };
    };
    const exec = await run(undefined);
    expect(exec.agent).toBe(exec.launcher);
    // VIVA_LAUNCHER=spawn keeps the launcher and its child, as on a node without execve.
    const spawned = await run('spawn');
    expect(spawned.agent).not.toBe(spawned.launcher);
    expect(spawned.agent).toBeGreaterThan(0);
  });

  it("should start the agent with glibc's malloc settings, keep a user's own, and not hand VIVA's to the commands it runs", async () => {
    // The agent's environment as it started (/proc/PID/environ), and what an exec input's command
    // sees, in three launches: execve, a child (VIVA_LAUNCHER=spawn), and a user's GLIBC_TUNABLES.
    const run = async (extra: NodeJS.ProcessEnv) => {
      const dir = tempDir();
      const port = await freePort();
      const file = path.join(dir, 'agent.toml');
      const out = path.join(dir, 'out.lp');
      const script = path.join(dir, 'seen.sh');
      fs.writeFileSync(script, `printf 'child tunables="x%s"\\n' "$GLIBC_TUNABLES"\n`);
      fs.writeFileSync(
        file,
        `[agent]\nhttp_listen = "127.0.0.1:${port}"\ndata_dir = "${dir}"\nwatch_config = false\n` +
          `interval = "200ms"\nflush_interval = "200ms"\n\n` +
          `[[inputs.exec]]\ncommands = [["sh", "${script}"]]\n\n[[outputs.file]]\nfiles = ["${out}"]\n`,
      );
      const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
      delete env.npm_lifecycle_event;
      for (const k of Object.keys(extra)) if (extra[k] === undefined) delete env[k];
      const p = startAgent(process.execPath, file, env);
      const seen = () =>
        fs.existsSync(out) ? /tunables="x([^"]*)"/.exec(fs.readFileSync(out, 'utf8')) : null;
      await waitFor(() => seen() !== null, 'the exec input to write what its command saw');
      const pid = Number(/"pid":(\d+)/.exec(p.stderr())?.[1]);
      // glibc 2.36 parses the variable where it lies, ending each setting with a NUL: in
      // /proc/PID/environ the settings after the first follow as entries of their own.
      const entries = fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
      const at = entries.findIndex((e) => e.startsWith('GLIBC_TUNABLES='));
      let started = at < 0 ? undefined : entries[at].slice('GLIBC_TUNABLES='.length);
      for (let k = at + 1; at >= 0 && /^glibc\.[\w.]+=/.test(entries[k] ?? ''); k++)
        started += `:${entries[k]}`;
      p.child.kill('SIGTERM');
      expect(await p.exited).toEqual({ code: 0, signal: null });
      return { agent: started, command: seen()?.[1] };
    };
    expect(await run({ GLIBC_TUNABLES: undefined, VIVA_LAUNCHER: undefined })).toEqual({
      agent: MALLOC_TUNABLES,
      command: '',
    });
    expect(await run({ GLIBC_TUNABLES: undefined, VIVA_LAUNCHER: 'spawn' })).toEqual({
      agent: MALLOC_TUNABLES,
      command: '',
    });
    const own = 'glibc.malloc.arena_max=2';
    expect(await run({ GLIBC_TUNABLES: own, VIVA_LAUNCHER: undefined })).toEqual({
      agent: own,
      command: own,
    });
  });
});
