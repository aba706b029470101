import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fleetAgentSection } from '../../config/fleet.ts';
import { defineInput } from '../../plugin/define.ts';
import { Registry } from '../../plugin/registry.ts';
import type { ReloadResult } from '../reloader.ts';
import { CentralConfig } from './central.ts';

const registry = new Registry().register(
  defineInput({
    name: 'gen',
    description: 'test input',
    config: z.strictObject({ name: z.string().default('x') }),
    create: () => ({ gather: () => undefined }),
  }),
);
const log = pino({ level: 'silent' });
const ok: () => Promise<ReloadResult> = () =>
  Promise.resolve({ result: 'success', summary: { kept: [], started: [], replaced: [], stopped: [] } });

/** A real HTTP server standing in for the collector's config endpoint: serves `body`, with ETags. */
async function configServer(): Promise<{
  url: string;
  set(body: string): void;
  requests: { ifNoneMatch?: string }[];
  close(): Promise<void>;
}> {
  let body = '';
  const requests: { ifNoneMatch?: string }[] = [];
  const server = http.createServer((req, res) => {
    const etag = `"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"`;
    const inm = req.headers['if-none-match'];
    requests.push({ ifNoneMatch: inm });
    if (req.headers.authorization !== 'Bearer t0ken') return void res.writeHead(401).end();
    if (inm !== undefined && inm.split(',').some((t) => t.trim() === etag))
      return void res.writeHead(304, { etag }).end();
    res.writeHead(200, { etag }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    set: (b) => (body = b),
    requests,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

async function setup() {
  const srv = await configServer();
  closers.push(srv.close);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'viva-central-'));
  const local = path.join(dir, 'agent.toml');
  fs.writeFileSync(
    local,
    `[agent.fleet]\ncollector = "${srv.url}"\ntoken = "t0ken"\nconfig = "web"\n\n[[inputs.gen]]\nalias = "local"\n`,
  );
  const settings = fleetAgentSection.parse({ collector: srv.url, token: 't0ken', config: 'web' });
  const central = () =>
    new CentralConfig({ localPath: local, dataDir: path.join(dir, 'data'), registry, log });
  return { srv, dir, settings, central };
}

describe('central config on the agent', () => {
  it('should apply a new config once, then ask with its ETag and get 304', async () => {
    const { srv, settings, central } = await setup();
    const c = central();
    srv.set('[[inputs.gen]]\nalias = "central"\n');
    let applied = 0;
    const apply = () => (applied++, ok());
    expect(await c.poll(settings, apply)).toBe('applied');
    expect(c.version).toMatch(/^".+"$/);
    expect((await c.load()).inputs.map((i) => i.id.label)).toEqual([
      'inputs.gen:local',
      'inputs.gen:central',
    ]);
    expect(await c.poll(settings, apply)).toBe('unchanged');
    expect(srv.requests.at(-1)?.ifNoneMatch).toBe(c.version);
    expect(applied).toBe(1);
  });

  it('should run the stored central config after a restart, with the collector gone', async () => {
    const { srv, settings, central } = await setup();
    srv.set('[[inputs.gen]]\nalias = "central"\n');
    const first = central();
    expect(await first.poll(settings, ok)).toBe('applied');
    await srv.close();
    closers.length = 0;
    const restarted = central();
    const cfg = await restarted.load();
    expect(cfg.inputs.map((i) => i.id.label)).toContain('inputs.gen:central');
    expect(restarted.version).toBe(first.version);
    expect(await restarted.poll(settings, ok)).toBe('error');
  });

  it('should reject an invalid config without applying it, and not fetch that version again', async () => {
    const { srv, settings, central } = await setup();
    const c = central();
    srv.set('[[inputs.gen]]\nalias = "central"\n');
    await c.poll(settings, ok);
    const good = c.version;
    srv.set('[[inputs.gen]]\nalias = "bad"\nnope = 1\n');
    let applied = 0;
    expect(await c.poll(settings, () => (applied++, ok()))).toBe('rejected');
    expect(applied).toBe(0);
    expect(c.rejected?.reason).toContain('nope');
    expect(c.rejected?.reason).toContain('central config "web"');
    expect(c.version).toBe(good);
    expect(await c.poll(settings, ok)).toBe('unchanged');
    expect(srv.requests.at(-1)?.ifNoneMatch?.split(', ')).toEqual([good, c.rejected?.etag]);
    // The stored config is still the good one.
    expect((await c.load()).inputs.map((i) => i.id.label)).toContain('inputs.gen:central');
  });

  it('should put the previous config back when the reload of a new one fails', async () => {
    const { srv, settings, central } = await setup();
    const c = central();
    srv.set('[[inputs.gen]]\nalias = "v1"\n');
    await c.poll(settings, ok);
    const v1 = c.version;
    srv.set('[[inputs.gen]]\nalias = "v2"\n');
    const failed = (): Promise<ReloadResult> =>
      Promise.resolve({ result: 'failed', error: 'inputs.gen:v2: cannot start' });
    expect(await c.poll(settings, failed)).toBe('rejected');
    expect(c.rejected?.reason).toBe('inputs.gen:v2: cannot start');
    const restarted = central();
    const cfg = await restarted.load();
    expect(cfg.inputs.map((i) => i.id.label)).toEqual(['inputs.gen:local', 'inputs.gen:v1']);
    expect(restarted.version).toBe(v1);
    // A fixed version is applied and clears the rejection.
    srv.set('[[inputs.gen]]\nalias = "v3"\n');
    expect(await c.poll(settings, ok)).toBe('applied');
    expect(c.rejected).toBeUndefined();
  });

  it('should report a refused token as an error and change nothing', async () => {
    const { srv, settings, central } = await setup();
    srv.set('[[inputs.gen]]\nalias = "central"\n');
    const c = central();
    expect(await c.poll({ ...settings, token: 'wrong' }, ok)).toBe('error');
    expect(c.version).toBeUndefined();
    expect((await c.load()).inputs).toHaveLength(1);
  });
});
