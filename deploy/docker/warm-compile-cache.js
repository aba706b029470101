// Run once when the image is built (deploy/docker/Dockerfile), as the user that runs VIVA: fills
// Node's compile cache (NODE_COMPILE_CACHE; Node keeps one cache per user id) with every module a
// VIVA process loads, so that a container reads VIVA's TypeScript already stripped and V8's code
// cache instead of loading the type stripper, a WebAssembly module that stays in memory (about
// 17 MB more RSS per process; BENCHMARKS.md). A module the warm-up missed still loads, stripped
// at run time, where the cache is not written (a read-only root filesystem) or written for the
// next start.
//
// It runs `viva plugins list` (every plugin and the libraries they import), then the shipped
// conf/collector.toml and conf/agent.toml on free loopback ports until they serve /metrics (the
// collector's runtime, its dashboard and the metrics exposition load on first use), and stops
// them with SIGTERM: Node writes the cache when a process exits. Plain JavaScript: the image's
// node runs it, and the launcher (bin/viva.js) runs VIVA as it does in the container.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const launcher = path.join(root, 'bin', 'viva.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'viva-warm-'));

if (!process.env.NODE_COMPILE_CACHE)
  process.stderr.write('warm-compile-cache: NODE_COMPILE_CACHE is not set\n');

/** A free port on loopback (the build's own network namespace: nothing else binds it). */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Whether GET of a path on a loopback port answers with a status under 500 (the body read). */
function answers(port, p) {
  return new Promise((resolve) => {
    http
      .get({ host: '127.0.0.1', port, path: p }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode < 500));
      })
      .on('error', () => resolve(false));
  });
}

/** A shipped config with its addresses and data dir replaced. */
function config(name, replacements) {
  let text = fs.readFileSync(path.join(root, 'conf', name), 'utf8');
  for (const [from, to] of replacements) text = text.replaceAll(from, to);
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

/** Runs `viva ARGS` until GETs of each path on the admin port answer, then stops it with SIGTERM. */
async function runUntilServed(args, admin, paths) {
  const child = spawn(process.execPath, [launcher, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err += d.toString()));
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
  const deadline = Date.now() + 120_000;
  for (const p of paths) {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`viva ${args[0]} exited early:\n${err}`);
      if (Date.now() > deadline) throw new Error(`viva ${args[0]}: no answer on ${p}:\n${err}`);
      if (await answers(admin, p)) break;
      await sleep(200);
    }
  }
  child.kill('SIGTERM');
  const code = await exited;
  if (code !== 0) throw new Error(`viva ${args[0]} exited with ${code} on SIGTERM:\n${err}`);
}

try {
  const list = spawnSync(process.execPath, [launcher, 'plugins', 'list'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (list.status !== 0) throw new Error(`viva plugins list exited with ${list.status}`);

  const [ingest, collectorAdmin, collectorHttp, agentAdmin, agentHttp] = await Promise.all(
    Array.from({ length: 5 }, () => freePort()),
  );
  const collector = config('collector.toml', [
    ['${VIVA_DATA_DIR:-var/lib/viva-collector}', path.join(dir, 'collector')],
    ['127.0.0.1:8470', `127.0.0.1:${ingest}`],
    ['127.0.0.1:9274', `127.0.0.1:${collectorAdmin}`],
    ['127.0.0.1:8471', `127.0.0.1:${collectorHttp}`],
  ]);
  await runUntilServed(['collector', '-c', collector, '--log-level', 'error'], collectorAdmin, [
    '/metrics',
    '/dashboard',
  ]);
  const agent = config('agent.toml', [
    ['${VIVA_DATA_DIR:-var/lib/viva}', path.join(dir, 'agent')],
    ['127.0.0.1:9273', `127.0.0.1:${agentAdmin}`],
    ['127.0.0.1:8186', `127.0.0.1:${agentHttp}`],
  ]);
  await runUntilServed(['agent', '-c', agent, '--log-level', 'error'], agentAdmin, ['/metrics']);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
