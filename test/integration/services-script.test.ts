/**
 * scripts/services.sh reuses a service that another checkout started, unless that service lost its
 * data (the checkout or its scratch dir was deleted under the running server: it still answers
 * but fails writes). Runs the script for Mosquitto only, on a private port and in private scratch
 * dirs, so the shared services are never touched.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, repoRoot, tempDir } from '../helpers/viva.ts';

const script = path.join(repoRoot, 'scripts', 'services.sh');

interface Status {
  state: string;
  pid: number;
}

const dirs: string[] = [];
afterEach(() => {
  // Whatever the script did, stop every process that runs in one of this test's scratch dirs
  // (deleted ones included) before removing them.
  for (const d of dirs.splice(0)) {
    for (const pid of processesUnder(d)) process.kill(pid, 'SIGKILL');
    fs.rmSync(d, { recursive: true, force: true });
  }
});

/** The processes whose working directory is under `dir`, as /proc shows it. */
function processesUnder(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readlinkSync(`/proc/${entry}/cwd`).startsWith(`${dir}/`)) pids.push(Number(entry));
    } catch {
      // gone, or not ours to see
    }
  }
  return pids;
}

/** A private mosquitto setup: a port and a parent dir for scratch dirs. */
async function setup(): Promise<{ port: number; root: string }> {
  const root = fs.realpathSync(tempDir('viva-services-'));
  dirs.push(root);
  return { port: await freePort(), root };
}

/** Runs services.sh CMD mosquitto with a scratch dir and port; returns its stderr (the log). */
function services(
  cmd: 'up' | 'status' | 'down',
  scratch: string,
  port: number,
): { code: number; log: string } {
  const r = spawnSync('bash', [script, cmd, 'mosquitto'], {
    env: { ...process.env, VIVA_SERVICES_DIR: scratch, VIVA_MQTT_PORT: String(port) },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status ?? -1, log: `${r.stdout}${r.stderr}` };
}

/** `status` of the scratch dir: its state and the pid serving the port. */
function status(scratch: string, port: number): Status {
  const { log } = services('status', scratch, port);
  const m = /^mosquitto\s+(\S+)\s+pid (\S+)/m.exec(log);
  if (!m) throw new Error(`unexpected status output: ${log}`);
  return { state: m[1], pid: Number(m[2]) };
}

/** `up`, which must succeed; returns its log. */
function up(scratch: string, port: number): string {
  const r = services('up', scratch, port);
  expect(r.code, r.log).toBe(0);
  return r.log;
}

/** The real directory a process runs in (as /proc shows it). */
function cwdOf(pid: number): string {
  return fs.readlinkSync(`/proc/${pid}/cwd`);
}

describe('scripts/services.sh reusing a service of another scratch dir', () => {
  it('should reuse a running mosquitto of another scratch dir whose data is there', async () => {
    const { port, root } = await setup();
    const a = path.join(root, 'a');
    const b = path.join(root, 'b');
    up(a, port);
    const first = status(a, port);
    expect(first.state).toBe('running');

    const log = up(b, port);
    expect(log).toContain('reusing it');
    expect(status(b, port)).toEqual({ state: 'shared', pid: first.pid });
  });

  it('should stop a reused mosquitto whose data directory was deleted and start a fresh one', async () => {
    const { port, root } = await setup();
    const a = path.join(root, 'a');
    const b = path.join(root, 'b');
    up(a, port);
    const stale = status(a, port);
    fs.rmSync(path.join(a, 'mosquitto', 'data'), { recursive: true });
    expect(status(b, port).state).toBe('stale');

    const log = up(b, port);
    expect(log).toContain(`pid ${stale.pid}, started by services.sh in ${a}/mosquitto, lost its data`);
    const fresh = status(b, port);
    expect(fresh.state).toBe('running');
    expect(fresh.pid).not.toBe(stale.pid);
    expect(cwdOf(fresh.pid)).toBe(path.join(b, 'mosquitto'));
  });

  it('should stop a reused mosquitto whose whole scratch dir was deleted and start a fresh one', async () => {
    const { port, root } = await setup();
    const a = path.join(root, 'a');
    const b = path.join(root, 'b');
    up(a, port);
    const stale = status(a, port);
    fs.rmSync(a, { recursive: true });
    expect(cwdOf(stale.pid)).toMatch(/ \(deleted\)$/);

    const log = up(b, port);
    expect(log).toContain(`pid ${stale.pid}, started by services.sh in`);
    expect(log).not.toContain('system instance');
    const fresh = status(b, port);
    expect(fresh.state).toBe('running');
    expect(fresh.pid).not.toBe(stale.pid);
  });

  it('should restart its own mosquitto when its data directory was deleted', async () => {
    const { port, root } = await setup();
    const a = path.join(root, 'a');
    up(a, port);
    const before = status(a, port);
    fs.rmSync(path.join(a, 'mosquitto', 'data'), { recursive: true });

    const log = up(a, port);
    expect(log).toContain('lost its data');
    const after = status(a, port);
    expect(after.state).toBe('running');
    expect(after.pid).not.toBe(before.pid);
    expect(fs.existsSync(path.join(a, 'mosquitto', 'data'))).toBe(true);
    expect(services('down', a, port).code).toBe(0);
  });
});
