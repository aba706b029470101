/**
 * /health and /ready as a Kubernetes probe, a collector and the fleet read them: each output's
 * state, 503 from /ready while an output has been failing too long, and the reason text only for
 * a caller holding the admin token.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startSink } from '../helpers/sink.ts';
import { freePort, startViva, tempDir, waitFor, type VivaProcess } from '../helpers/viva.ts';

const procs: VivaProcess[] = [];
afterEach(() => {
  for (const p of procs.splice(0)) if (p.child.exitCode === null) p.child.kill('SIGKILL');
});

const TOKEN = 'health-test-token';

interface OutputHealth {
  output: string;
  state: string;
  code?: string;
  error?: string;
}
interface Health {
  status: string;
  outputs: OutputHealth[];
}

async function get(port: number, p: string, token?: string): Promise<{ status: number; body: Health }> {
  const r = await fetch(`http://127.0.0.1:${port}${p}`, {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
  return { status: r.status, body: (await r.json()) as Health };
}

describe('health and readiness', () => {
  it('should report a failing output as degraded, answer 503 on /ready, and recover', async () => {
    const sink = await startSink();
    sink.failWith = 500;
    const dir = tempDir();
    const admin = await freePort();
    const file = path.join(dir, 'agent.toml');
    fs.writeFileSync(
      file,
      `[agent]
flush_interval = "100ms"
http_listen = "127.0.0.1:${admin}"
http_auth_token = "${TOKEN}"
health_degraded_after = "500ms"
data_dir = "${dir}"
omit_hostname = true

[[inputs.generator]]
interval = "100ms"
series = 1

[[outputs.http]]
alias = "dest"
url = "http://127.0.0.1:${sink.port}/write"
retry_initial_backoff = "50ms"
retry_max_backoff = "100ms"
`,
    );
    const p = startViva(['agent', '-c', file, '--watch-config=false']);
    procs.push(p);
    await waitFor(async () => (await get(admin, '/health')).status === 200, 'the admin server');

    const degraded = await waitFor(async () => {
      const h = await get(admin, '/health');
      return h.body.status === 'degraded' ? h : undefined;
    }, 'the output to be degraded');
    // Liveness stays 200: restarting the agent does not bring a destination back.
    expect(degraded.status).toBe(200);
    expect(degraded.body.outputs).toEqual([
      expect.objectContaining({
        output: 'outputs.http:dest',
        state: 'degraded',
        code: 'VIVA_ERR_WRITE_RETRYABLE',
      }),
    ]);
    // Without the token: states and codes only.
    expect(JSON.stringify(degraded.body)).not.toContain('500');
    expect(degraded.body.outputs[0].error).toBeUndefined();
    const ready = await get(admin, '/ready');
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ ready: false, status: 'degraded' });

    const detailed = await get(admin, '/health', TOKEN);
    expect(detailed.body.outputs[0].error).toMatch(/500/);

    sink.failWith = null;
    await waitFor(async () => (await get(admin, '/ready')).status === 200, 'the agent to be ready again');
    const ok = await get(admin, '/health');
    expect(ok.body.status).toBe('ok');
    expect(ok.body.outputs[0].state).toBe('ok');
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    await sink.close();
  });

  it('should never show the credentials of a destination url in logs or /health', async () => {
    const sink = await startSink();
    sink.failWith = 500;
    const dir = tempDir();
    const admin = await freePort();
    const file = path.join(dir, 'agent.toml');
    fs.writeFileSync(
      file,
      `[agent]
flush_interval = "100ms"
http_listen = "127.0.0.1:${admin}"
http_auth_token = "${TOKEN}"
data_dir = "${dir}"
shutdown_timeout = "200ms"

[[inputs.generator]]
interval = "100ms"
series = 1

[[outputs.influxdb]]
urls = ["http://viva:\${INFLUX_PASSWORD}@127.0.0.1:${sink.port}", "http://\${INFLUX_TOKEN}@127.0.0.1:${sink.port}/"]
retry_initial_backoff = "50ms"
retry_max_backoff = "100ms"
`,
    );
    const p = startViva(['agent', '-c', file, '--watch-config=false'], {
      env: { INFLUX_PASSWORD: 'pw-9f3a1c', INFLUX_TOKEN: 'tok-77d2e0' },
    });
    procs.push(p);
    await waitFor(() => p.stderr().includes('trying the next url'), 'a failed write to be logged');
    await waitFor(() => p.stderr().includes('could not create the database yet'), 'the database warning');
    const detailed = await get(admin, '/health', TOKEN);
    for (const text of [p.stderr(), JSON.stringify(detailed.body)]) {
      expect(text).not.toContain('pw-9f3a1c');
      expect(text).not.toContain('tok-77d2e0');
    }
    expect(p.stderr()).toContain('http://viva:***@127.0.0.1');
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    await sink.close();
  });
});
