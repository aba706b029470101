/**
 * Test helpers: run the real `viva` command as a child process, wait for its endpoints, and
 * stop it the way an operator would (SIGTERM) or the way a crash does (SIGKILL).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { withMallocTunables } from '../../bin/malloc-tunables.js';

export const repoRoot = path.resolve(import.meta.dirname, '..', '..');
export const vivaBin = path.join(repoRoot, 'bin', 'viva.ts');

/** A running viva process with its captured output. */
export interface VivaProcess {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
}

/**
 * The node flags on bin/viva.ts's first line (`#!/usr/bin/env -S node FLAGS`) and the compile
 * cache (bin/compile-cache.js), which an installed `viva` (bin/viva.js) runs with: tests and the
 * benchmark start it with the same ones.
 */
export function vivaNodeFlags(): string[] {
  const first = fs.readFileSync(vivaBin, 'utf8').split('\n', 1)[0];
  const m = /^#!\/usr\/bin\/env -S node(?:\s+(.*))?$/.exec(first);
  if (m === null) throw new Error(`${vivaBin}: expected "#!/usr/bin/env -S node FLAGS" on line 1`);
  const flags = (m[1] ?? '').split(/\s+/).filter((f) => f !== '');
  return [...flags, '--import', pathToFileURL(path.join(repoRoot, 'bin', 'compile-cache.js')).href];
}

/**
 * The environment an installed `viva` (bin/viva.js) gives VIVA's node: `env` with glibc's malloc
 * settings (bin/malloc-tunables.js).
 */
export function vivaEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return withMallocTunables(env);
}

/** Starts `node FLAGS bin/viva.ts ...args`, FLAGS from its first line, in `vivaEnv`. */
export function startViva(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): VivaProcess {
  const child = spawn(process.execPath, [...vivaNodeFlags(), vivaBin, ...args], {
    cwd: opts.cwd ?? repoRoot,
    env: vivaEnv({ ...process.env, ...opts.env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Runs viva to completion; resolves with exit code and output. */
export async function runViva(
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const p = startViva(args, opts);
  const code = await p.exited;
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}

/** A fresh temp dir for one test. */
export function tempDir(prefix = 'viva-e2e-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Polls until `fn` returns a truthy value or the time runs out. */
export async function waitFor<T>(
  fn: () => T | Promise<T>,
  what: string,
  timeoutMs = 20_000,
  everyMs = 50,
): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Fetches /metrics text of a viva process. */
export async function scrape(port: number, token?: string): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  return res.text();
}

/** Sum of a Prometheus counter's samples whose labels include every given label. */
export function counterValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name + '{') && !line.startsWith(name + ' ')) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** Ports this test process has handed out: never handed out twice. */
const givenPorts = new Set<number>();

/**
 * A free TCP port on loopback for a process the test starts. Drawn at random below the kernel's
 * ephemeral range (32768 and up on Linux), so that no `listen(0)` and no outgoing connection of
 * another test can be given the same port between this check and the process binding it, and
 * never the same port twice in one test process (two calls in a row could otherwise get the same
 * port back from the kernel). The port is checked by binding it once.
 */
export async function freePort(): Promise<number> {
  const net = await import('node:net');
  const tryBind = (port: number): Promise<boolean> =>
    new Promise((resolve) => {
      const s = net.createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
  for (let i = 0; i < 200; i++) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    if (givenPorts.has(port)) continue;
    givenPorts.add(port);
    if (await tryBind(port)) return port;
  }
  throw new Error('freePort: no free port found in 20000-31999 after 200 tries');
}
