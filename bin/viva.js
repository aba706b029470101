#!/usr/bin/env node
// The installed `viva` command and `npm start`: plain JavaScript that any node >= 18 runs. VIVA
// itself is TypeScript run by Node 24's type stripping, with the node flags of bin/viva.ts's first
// line (`#!/usr/bin/env -S node FLAGS`); this launcher starts that Node 24 (the npm package `node`,
// a dependency) on bin/viva.ts with those flags: in its own place (execve) where it can, else as a
// child to which it forwards SIGINT, SIGTERM and SIGHUP, exiting the way the agent exits. Its
// environment gets glibc's malloc settings of bin/malloc-tunables.js.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import tty from 'node:tty';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { withMallocTunables } from './malloc-tunables.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const entry = path.join(here, 'viva.ts');

/** The node flags on bin/viva.ts's first line. */
function nodeFlags() {
  const first = fs.readFileSync(entry, 'utf8').split('\n', 1)[0];
  const m = /^#!\/usr\/bin\/env -S node(?:\s+(.*))?$/.exec(first);
  return m === null ? [] : (m[1] ?? '').split(/\s+/).filter((f) => f !== '');
}

/** True for a node that runs TypeScript without flags (type stripping on by default: >= 22.18). */
function stripsTypes(version) {
  const [major, minor] = version.split('.').map(Number);
  return major > 22 || (major === 22 && minor >= 18);
}

/** The Node 24 of the `node` dependency; else this node when it can run TypeScript. */
function nodeBinary() {
  try {
    const pkg = createRequire(import.meta.url).resolve('node/package.json');
    const bin = path.join(path.dirname(pkg), 'bin', process.platform === 'win32' ? 'node.exe' : 'node');
    fs.accessSync(bin, fs.constants.X_OK);
    return bin;
  } catch {
    if (stripsTypes(process.versions.node)) return process.execPath;
  }
  process.stderr.write(
    `viva: needs Node.js >= 22.18 (this is ${process.version}) or the npm package "node" installed ` +
      'with VIVA (npm install runs its install script)\n',
  );
  return process.exit(1);
}

// Installed, VIVA lives under node_modules, where node does not strip types: a hook does.
const installed = entry.split(path.sep).includes('node_modules');
const hook = installed ? ['--import', pathToFileURL(path.join(here, 'strip-types-hook.js')).href] : [];
// Node's compile cache: a start after the first reads VIVA's TypeScript already stripped.
const cache = ['--import', pathToFileURL(path.join(here, 'compile-cache.js')).href];

const node = nodeBinary();
const args = [...nodeFlags(), ...cache, ...hook, entry, ...process.argv.slice(2)];
const env = withMallocTunables(process.env);

// Where no signal can arrive twice (no terminal, not under npm: systemd, a container, a script),
// this process becomes the agent (execve: the same PID, and no launcher process holding memory
// beside it). Node >= 22.15 can; an older node, or VIVA_LAUNCHER=spawn, keeps the child below.
if (
  typeof process.execve === 'function' &&
  !tty.isatty(0) &&
  process.env.npm_lifecycle_event === undefined &&
  process.env.VIVA_LAUNCHER !== 'spawn'
) {
  try {
    process.execve(node, [node, ...args], env);
  } catch {
    // The exec failed and this process is unchanged: start the agent as a child instead.
  }
}

const child = spawn(node, args, {
  stdio: 'inherit',
  env,
  // Its own session: a Ctrl-C on the terminal reaches the agent once, through this launcher, not
  // twice (a second SIGINT stops the agent without a flush).
  detached: process.platform !== 'win32',
});

// The same signal arriving twice within a second is one event delivered twice (the terminal's
// process group and a parent that forwards, such as npm): the agent gets it once.
const lastSent = new Map();
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    const now = Date.now();
    if (signal !== 'SIGHUP' && now - (lastSent.get(signal) ?? -Infinity) < 1000) return;
    lastSent.set(signal, now);
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  });
}

child.on('error', (e) => {
  process.stderr.write(`viva: cannot start node: ${e.message}\n`);
  process.exit(1);
});

child.on('exit', (code, signal) => {
  if (signal === null) process.exit(code ?? 1);
  // Ended by a signal: end this process by the same one, as a shell expects.
  process.removeAllListeners(signal);
  process.kill(process.pid, signal);
  process.exit(128 + (os.constants.signals[signal] ?? 0));
});
