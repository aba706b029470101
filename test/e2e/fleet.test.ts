/**
 * The fleet with real processes: a real `viva collector` takes heartbeats on /v1/heartbeat (the
 * ingest tokens), lists agents on /api/fleet (the admin token) with their source health, keeps
 * them across a restart, and serves central configs with ETags. With real `viva agent`s: an agent
 * appears healthy, turns silent after the deadman once killed, applies a central config change,
 * and keeps running on a bad one while /api/fleet shows the rejection.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentStatus, FleetPage } from '../../collector/fleet/types.ts';
import { collectorConfig, startCollector, type CollectorHandle } from '../helpers/collector.ts';
import { freePort, startViva, tempDir, waitFor, type VivaProcess } from '../helpers/viva.ts';

const running: CollectorHandle[] = [];
const agents: VivaProcess[] = [];
afterEach(() => {
  for (const a of agents.splice(0)) if (a.child.exitCode === null) a.child.kill('SIGKILL');
  for (const c of running.splice(0)) if (c.proc.child.exitCode === null) c.proc.child.kill('SIGKILL');
});

const TOKEN = 'fleet-agent-token-0123456789';
const ADMIN = 'fleet-admin-token-0123456789';

async function collector(dir: string, fleet = '', ports: { port?: number; admin?: number } = {}) {
  const cfg = await collectorConfig(dir, '', {
    ...ports,
    agent: `http_auth_token = "${ADMIN}"`,
    collector: `[collector.tokens]\nagents = "${TOKEN}"\n\n[collector.fleet]\n${fleet}`,
  });
  const c = await startCollector(cfg);
  running.push(c);
  return c;
}

async function fleet(c: CollectorHandle, query = ''): Promise<FleetPage> {
  const res = await fetch(`http://127.0.0.1:${c.admin}/api/fleet${query}`, {
    headers: { authorization: `Bearer ${ADMIN}` },
  });
  if (res.status !== 200) throw new Error(`/api/fleet answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as FleetPage;
}

async function agentIn(c: CollectorHandle, id: string): Promise<AgentStatus | undefined> {
  return (await fleet(c, `?filter=${encodeURIComponent(id)}`)).agents.find((a) => a.id === id);
}

function heartbeat(port: number, body: unknown, token: string | null = TOKEN): Promise<Response> {
  return fetch(`http://127.0.0.1:${port}/v1/heartbeat`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token !== null ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
  });
}

const beat = (id: string, over: Record<string, unknown> = {}) => ({
  id,
  host: `${id}.lan`,
  version: '0.1.0',
  configHash: 'h1',
  startedAt: Date.now() - 5000,
  uptimeSeconds: 5,
  intervalSeconds: 10,
  rateIn: 10,
  rateOut: 10,
  ...over,
});

describe('fleet registry in a real collector', () => {
  it('should list a heartbeating agent as healthy, then silent after the deadman, and keep it across a restart', async () => {
    const dir = tempDir('viva-fleet-');
    const c = await collector(dir, 'deadman = "2s"');
    expect((await heartbeat(c.port, beat('edge-1'))).status).toBe(204);
    expect(await agentIn(c, 'edge-1')).toMatchObject({ host: 'edge-1.lan', health: 'healthy', rateIn: 10 });

    const silent = await waitFor(
      async () => ((await agentIn(c, 'edge-1'))?.health === 'silent' ? agentIn(c, 'edge-1') : undefined),
      'edge-1 to turn silent',
      15_000,
    );
    expect(silent?.healthReason).toMatch(/no heartbeat for/);

    c.proc.child.kill('SIGTERM');
    await c.proc.exited;
    const again = await collector(dir, 'deadman = "2s"', { port: c.port, admin: c.admin });
    expect(await agentIn(again, 'edge-1')).toMatchObject({
      id: 'edge-1',
      host: 'edge-1.lan',
      health: 'silent',
    });
    expect((await heartbeat(again.port, beat('edge-1'))).status).toBe(204);
    expect((await agentIn(again, 'edge-1'))?.health).toBe('healthy');
  });

  it('should refuse a heartbeat without the agent token or with a bad body, and /api/fleet without the admin token', async () => {
    const c = await collector(tempDir('viva-fleet-'));
    expect((await heartbeat(c.port, beat('x'), null)).status).toBe(401);
    expect((await heartbeat(c.port, beat('x'), 'wrong')).status).toBe(401);
    expect((await heartbeat(c.port, { id: 'x' })).status).toBe(400);
    expect((await fetch(`http://127.0.0.1:${c.admin}/api/fleet`)).status).toBe(401);
    expect(
      (
        await fetch(`http://127.0.0.1:${c.admin}/api/fleet?sort=nope`, {
          headers: { authorization: `Bearer ${ADMIN}` },
        })
      ).status,
    ).toBe(400);
    expect((await fleet(c)).total).toBe(0);
  });

  it('should page, filter and put the worst first on /api/fleet', async () => {
    const c = await collector(tempDir('viva-fleet-'));
    for (let i = 0; i < 60; i++)
      expect((await heartbeat(c.port, beat(`node-${String(i).padStart(2, '0')}`))).status).toBe(204);
    await heartbeat(c.port, beat('node-bad', { errorRate: 2, lastError: 'write failed' }));
    const page = await fleet(c);
    expect(page.total).toBe(61);
    expect(page.agents).toHaveLength(50);
    expect(page.counts).toEqual({ healthy: 60, degraded: 1, silent: 0 });
    expect(page.agents[0]).toMatchObject({ id: 'node-bad', health: 'degraded', lastError: 'write failed' });
    const second = await fleet(c, '?sort=id&offset=50&limit=20');
    expect(second.agents.map((a) => a.id)).toEqual([
      'node-50',
      'node-51',
      'node-52',
      'node-53',
      'node-54',
      'node-55',
      'node-56',
      'node-57',
      'node-58',
      'node-59',
      'node-bad',
    ]);
    expect((await fleet(c, '?health=degraded')).agents.map((a) => a.id)).toEqual(['node-bad']);
  });

  it('should serve a central config with an ETag, 304 while it is unchanged, the new one once it changes', async () => {
    const dir = tempDir('viva-fleet-');
    const configs = path.join(dir, 'configs');
    fs.mkdirSync(configs);
    fs.writeFileSync(path.join(configs, 'web.toml'), '[[inputs.cpu]]\n');
    const c = await collector(dir, `config_dir = "${configs}"`);
    const url = `http://127.0.0.1:${c.port}/v1/config/web`;
    const auth = { authorization: `Bearer ${TOKEN}` };
    expect((await fetch(url)).status).toBe(401);
    const first = await fetch(url, { headers: auth });
    expect(first.status).toBe(200);
    expect(await first.text()).toBe('[[inputs.cpu]]\n');
    const etag = first.headers.get('etag') ?? '';
    expect(etag).toMatch(/^".+"$/);
    const same = await fetch(url, { headers: { ...auth, 'if-none-match': etag } });
    expect(same.status).toBe(304);
    fs.writeFileSync(path.join(configs, 'web.toml'), '[[inputs.mem]]\n');
    const changed = await fetch(url, { headers: { ...auth, 'if-none-match': etag } });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
    expect(await changed.text()).toBe('[[inputs.mem]]\n');
    expect((await fetch(`http://127.0.0.1:${c.port}/v1/config/nope`, { headers: auth })).status).toBe(404);
    expect(
      (await fetch(`http://127.0.0.1:${c.port}/v1/config/..%2Fcollector`, { headers: auth })).status,
    ).toBe(400);
  });
});

/** Starts a real `viva agent` reporting to the collector; `fleet` adds [agent.fleet] keys. */
async function agent(
  dir: string,
  name: string,
  c: CollectorHandle,
  body: string,
  fleet = '',
): Promise<VivaProcess> {
  const file = path.join(dir, `${name}.toml`);
  fs.writeFileSync(
    file,
    `[agent]
hostname = "${name}"
interval = "200ms"
flush_interval = "100ms"
http_listen = "127.0.0.1:${await freePort()}"
data_dir = "${path.join(dir, name)}"
watch_config = false

[agent.fleet]
collector = "http://127.0.0.1:${c.port}"
token = "\${FLEET_TOKEN}"
interval = "500ms"
${fleet}

${body}
`,
  );
  const proc = startViva(['agent', '-c', file], { env: { FLEET_TOKEN: TOKEN } });
  agents.push(proc);
  await waitFor(
    () => proc.stderr().includes('agent started') || proc.child.exitCode !== null,
    `agent ${name} to start`,
    30_000,
  );
  if (proc.child.exitCode !== null) throw new Error(`agent exited: ${proc.stderr()}`);
  return proc;
}

const lines = (file: string): string[] => {
  try {
    return fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l !== '');
  } catch {
    return [];
  }
};

describe('real agents in the fleet', () => {
  it('should show an agent healthy with its rates, silent once killed -9, and still listed after a collector restart', async () => {
    const dir = tempDir('viva-fleet-');
    const c = await collector(dir);
    const out = path.join(dir, 'out.lp');
    const a = await agent(
      dir,
      'edge-a',
      c,
      `[[inputs.generator]]\nname = "gen"\nseries = 5\n\n[[outputs.file]]\nfiles = ["${out}"]`,
    );
    const seen = await waitFor(
      async () => {
        const s = await agentIn(c, 'edge-a');
        return s !== undefined && s.health === 'healthy' && s.rateIn > 0 && s.rateOut > 0 ? s : undefined;
      },
      'edge-a to report healthy with traffic',
      30_000,
    );
    expect(seen).toMatchObject({ host: 'edge-a', version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    expect(seen.configHash).toMatch(/^[0-9a-f]{8,}/);
    expect(seen.uptimeSeconds).toBeGreaterThan(0);
    expect(seen.errors).toBe(0);

    a.child.kill('SIGKILL');
    await a.exited;
    const killedAt = Date.now();
    const silent = await waitFor(
      async () => ((await agentIn(c, 'edge-a'))?.health === 'silent' ? agentIn(c, 'edge-a') : undefined),
      'edge-a to turn silent',
      30_000,
    );
    // The deadman is 3 heartbeat intervals (1.5 s): silent after it, not before.
    expect(Date.now() - silent!.lastSeen).toBeGreaterThanOrEqual(1500);
    expect(Date.now() - killedAt).toBeLessThan(30_000);

    c.proc.child.kill('SIGTERM');
    await c.proc.exited;
    const again = await collector(dir, '', { port: c.port, admin: c.admin });
    expect(await agentIn(again, 'edge-a')).toMatchObject({ id: 'edge-a', host: 'edge-a', health: 'silent' });
  });

  it('should show an agent whose output fails as degraded, with its errors, buffer and last error', async () => {
    const dir = tempDir('viva-fleet-');
    // A deadman well past the heartbeat interval: a busy machine's late heartbeat is not silence here.
    const c = await collector(dir, 'deadman = "10s"');
    const closed = await freePort();
    await agent(
      dir,
      'edge-b',
      c,
      `[[inputs.generator]]
name = "gen"
series = 50

[[outputs.http]]
url = "http://127.0.0.1:${closed}/write"
metric_buffer_limit = 200
retry_max_backoff = "200ms"`,
    );
    const s = await waitFor(
      async () => {
        const a = await agentIn(c, 'edge-b');
        return a !== undefined && a.errors > 0 && a.bufferFill > 0.5 && a.lastError !== undefined
          ? a
          : undefined;
      },
      'edge-b to report its failing output',
      30_000,
    );
    expect(s.health).toBe('degraded');
    expect(s.healthReason).toMatch(/errors|buffer/);
    expect(s.lastError).toContain(String(closed));
    expect(s.rateOut).toBe(0);
  });

  it('should apply a central config change, and keep running on a bad one while /api/fleet shows the rejection', async () => {
    const dir = tempDir('viva-fleet-');
    const configs = path.join(dir, 'configs');
    fs.mkdirSync(configs);
    const out = path.join(dir, 'out.lp');
    const central = (name: string, extra = ''): void =>
      fs.writeFileSync(
        path.join(configs, 'web.toml'),
        `[[inputs.generator]]\nname = "${name}"\nseries = 2\n${extra}\n[[outputs.file]]\nfiles = ["${out}"]\n`,
      );
    central('first');
    const c = await collector(dir, `config_dir = "${configs}"\ndeadman = "10s"`);
    const a = await agent(dir, 'web-1', c, '', 'config = "web"\nconfig_interval = "300ms"');

    await waitFor(
      () => lines(out).some((l) => l.startsWith('first,')),
      'the first central config to run',
      30_000,
    );
    const v1 = await waitFor(
      async () => {
        const s = await agentIn(c, 'web-1');
        return s?.configVersion !== undefined && s.health === 'healthy' ? s : undefined;
      },
      'web-1 to report its central config version',
      30_000,
    );

    central('second');
    await waitFor(
      () => lines(out).some((l) => l.startsWith('second,')),
      'the changed central config to run',
      30_000,
    );
    const v2 = await waitFor(
      async () => {
        const s = await agentIn(c, 'web-1');
        return s !== undefined && s.configVersion !== v1.configVersion ? s : undefined;
      },
      'the new version in the heartbeat',
      30_000,
    );
    expect(v2.configHash).not.toBe(v1.configHash);
    expect(v2.configRejected).toBeUndefined();

    central('third', 'no_such_key = 1');
    const rejected = await waitFor(
      async () => {
        const s = await agentIn(c, 'web-1');
        return s?.configRejected !== undefined ? s : undefined;
      },
      'the rejection in /api/fleet',
      30_000,
    );
    expect(rejected.configRejected).toContain('no_such_key');
    expect(rejected.configRejected).not.toContain(dir);
    expect(rejected).toMatchObject({
      health: 'degraded',
      configVersion: v2.configVersion,
      configHash: v2.configHash,
    });
    expect(rejected.healthReason).toMatch(/central config rejected/);
    // Still running the second config.
    const before = lines(out).length;
    await waitFor(() => lines(out).length > before + 4, 'the agent to keep writing', 30_000);
    expect(lines(out).some((l) => l.startsWith('third,'))).toBe(false);
    expect(a.child.exitCode).toBeNull();

    // Fixed: applied, and the rejection goes.
    central('fourth');
    await waitFor(
      async () => {
        const s = await agentIn(c, 'web-1');
        return (
          s !== undefined &&
          s.configRejected === undefined &&
          s.health === 'healthy' &&
          lines(out).some((l) => l.startsWith('fourth,'))
        );
      },
      'the fixed config to be applied and the rejection cleared',
      30_000,
    );
  });
});
