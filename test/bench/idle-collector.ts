/**
 * RSS of an idle `viva collector` on conf/collector.toml (its listeners moved to free ports, its
 * data dir a temp dir; its InfluxDB destinations as committed), read from /proc/PID/status a fixed
 * time after the start. Nothing is sent to it and nothing reads its /metrics.
 *
 *   node test/bench/idle-collector.ts [--root DIR] [--seconds 60] [--runs 2]
 *
 * --root runs the collector of another checkout (e.g. a `git archive` of an older commit with the
 * same node_modules), with that checkout's node flags and compile cache. The first start after a
 * change strips the TypeScript it loads and holds the stripper: run twice and take the second.
 * One JSON line per run.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort } from '../helpers/viva.ts';

const { values } = parseArgs({
  options: {
    root: { type: 'string', default: path.resolve(import.meta.dirname, '..', '..') },
    seconds: { type: 'string', default: '60' },
    runs: { type: 'string', default: '2' },
  },
});
const root = path.resolve(values.root);
const seconds = Number(values.seconds);

/** The flags on DIR/bin/viva.ts's first line and DIR's compile cache, as bin/viva.js runs it. */
function nodeFlags(): string[] {
  const first = fs.readFileSync(path.join(root, 'bin', 'viva.ts'), 'utf8').split('\n', 1)[0];
  const flags = (/^#!\/usr\/bin\/env -S node(?:\s+(.*))?$/.exec(first)?.[1] ?? '').split(/\s+/);
  const cache = path.join(root, 'bin', 'compile-cache.js');
  return [
    ...flags.filter((f) => f !== ''),
    ...(fs.existsSync(cache) ? ['--import', pathToFileURL(cache).href] : []),
  ];
}

/** VmRSS and VmHWM of a process, in MB. */
function memory(pid: number): { rss: number; hwm: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

async function run(n: number): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'viva-idle-collector-'));
  const [listen, admin, http] = [await freePort(), await freePort(), await freePort()];
  const config = fs
    .readFileSync(path.join(root, 'conf', 'collector.toml'), 'utf8')
    .replaceAll('${VIVA_DATA_DIR:-var/lib/viva-collector}', path.join(dir, 'data'))
    .replaceAll('127.0.0.1:8470', `127.0.0.1:${listen}`)
    .replaceAll('127.0.0.1:9274', `127.0.0.1:${admin}`)
    .replaceAll('127.0.0.1:8471', `127.0.0.1:${http}`);
  const file = path.join(dir, 'collector.toml');
  fs.writeFileSync(file, config);
  const started = Date.now();
  const child = spawn(process.execPath, [...nodeFlags(), 'bin/viva.ts', 'collector', '-c', file], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  await new Promise((r) => setTimeout(r, seconds * 1000));
  if (child.exitCode !== null || !log.includes('collector started')) {
    throw new Error(`the collector did not start or exited: ${log.slice(-2000)}`);
  }
  const m = memory(child.pid ?? 0);
  child.kill('SIGTERM');
  await exited;
  fs.rmSync(dir, { recursive: true, force: true });
  console.log(
    JSON.stringify({
      root,
      run: n,
      at: new Date(started).toISOString(),
      seconds,
      rss_mb: Math.round(m.rss * 10) / 10,
      peak_rss_mb: Math.round(m.hwm * 10) / 10,
    }),
  );
}

for (let i = 1; i <= Number(values.runs); i++) await run(i);
