import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { Telemetry } from '../engine/telemetry/telemetry.ts';
import { AdminServer } from './admin.ts';

const TOKEN = 'admin-secret-token';

describe('AdminServer auth failures', () => {
  let admin: AdminServer | undefined;
  afterEach(async () => {
    await admin?.stop();
    admin = undefined;
  });

  async function start(): Promise<{ base: string; telemetry: Telemetry; lines: Record<string, unknown>[] }> {
    const telemetry = new Telemetry('viva-test');
    const lines: Record<string, unknown>[] = [];
    const log = pino(
      { level: 'warn' },
      { write: (s: string) => lines.push(JSON.parse(s) as Record<string, unknown>) },
    );
    admin = new AdminServer({
      listen: '127.0.0.1:0',
      telemetry,
      log,
      token: TOKEN,
      health: () => ({ ok: true }),
      ready: () => ({ ready: true }),
    });
    admin.route('POST /admin/reload', (_req, res) => void res.writeHead(204).end());
    const port = await admin.start();
    return { base: `http://127.0.0.1:${String(port)}`, telemetry, lines };
  }

  it('should count and log (throttled) refused requests with VIVA_ERR_AUTH, never the token', async () => {
    const { base, telemetry, lines } = await start();
    const wrong = { authorization: 'Bearer not-the-token-xyz' };
    expect((await fetch(`${base}/metrics`, { headers: wrong })).status).toBe(401);
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    expect((await fetch(`${base}/admin/reload`, { method: 'POST', headers: wrong })).status).toBe(401);
    expect(
      (await fetch(`${base}/admin/reload`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } }))
        .status,
    ).toBe(204);

    const failures = (await telemetry.snapshot()).filter((m) => m.name === 'viva_http_auth_failures');
    expect(failures.map((m) => [m.tags, m.fields])).toEqual([[{ server: 'admin' }, { value: 3 }]]);

    const warned = lines.filter((l) => l.code === 'VIVA_ERR_AUTH');
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatchObject({ server: 'admin', path: '/metrics', msg: 'unauthorized request' });
    const all = JSON.stringify(lines);
    expect(all).not.toContain('not-the-token-xyz');
    expect(all).not.toContain(TOKEN);
  });
});
