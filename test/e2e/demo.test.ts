/**
 * `viva demo`, what `npm start` runs, through the launcher (bin/viva.js) as npm starts it: a
 * collector and three agents, the dashboard URL and token printed, metrics flowing into the
 * dashboard, and after a Ctrl-C (SIGINT to its process group) every process gone.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { expect, it } from 'vitest';
import { freePort, repoRoot, tempDir, waitFor } from '../helpers/viva.ts';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

it('should run a collector and three agents with the dashboard, and leave nothing running after Ctrl-C', async () => {
  const [listen, admin] = [await freePort(), await freePort()];
  const cwd = tempDir('viva-demo-');
  const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'viva.js'), 'demo'], {
    cwd,
    env: { ...process.env, VIVA_DEMO_LISTEN: `127.0.0.1:${listen}`, VIVA_DEMO_ADMIN: `127.0.0.1:${admin}` },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group, which gets the SIGINT as a terminal's Ctrl-C does
  });
  let out = '';
  const pids = (): number[] => [...out.matchAll(/pid (\d+)/g)].map((m) => Number(m[1]));
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | string>((r) => child.on('exit', (code, sig) => r(code ?? sig ?? -1)));
  try {
    await waitFor(() => out.includes('Ctrl-C stops everything'), 'the demo banner', 90_000);
    expect(out).toContain(`dashboard:   http://127.0.0.1:${admin}/dashboard`);
    const token = /log in with: (\S+)/.exec(out)?.[1] ?? '';
    expect(pids()).toHaveLength(4);
    const page = await fetch(`http://127.0.0.1:${admin}/dashboard`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('VIVA collector');
    // Metrics from the agents reach the collector and its destination: the dashboard's rates move.
    await waitFor(
      async () => {
        const res = await fetch(`http://127.0.0.1:${admin}/api/dashboard`, {
          headers: { authorization: `Bearer ${token}` },
        });
        const f = (await res.json()) as {
          rates: { in: number; out: number };
          routes: { route: string }[];
          fleet: { healthy: number } | null;
        };
        // The three agents heartbeat: the source-health table lists them healthy.
        return (
          f.rates.in > 0 &&
          f.rates.out > 0 &&
          f.routes.some((r) => r.route === 'host') &&
          f.fleet?.healthy === 3
        );
      },
      'metrics flowing through the demo collector',
      60_000,
      500,
    );
    process.kill(-(child.pid ?? 0), 'SIGINT');
    expect(await exited).toBe(0);
    expect(out).toContain('viva demo: stopped');
    for (const pid of pids()) expect(alive(pid)).toBe(false);
    await expect(fetch(`http://127.0.0.1:${admin}/ready`)).rejects.toThrow();
  } finally {
    if (child.exitCode === null) process.kill(-(child.pid ?? 0), 'SIGKILL');
    for (const pid of pids()) if (alive(pid)) process.kill(pid, 'SIGKILL');
  }
}, 180_000);
