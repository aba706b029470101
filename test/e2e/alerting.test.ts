/**
 * End-to-end alerting against the real Alertmanager (docs/SERVICES.md): the real `viva agent`
 * process, a generator whose `load` tag comes from a lookup table the test rewrites, an `alert`
 * rule with `for`, and the `alertmanager` and `webhook` outputs. Alertmanager's v2 API must list
 * the alert firing once the load stayed high for `for`, and stop listing it (resolved: v0.25 leaves
 * alerts whose endsAt has passed out of GET /api/v2/alerts) once the load is back; a restart in
 * between neither re-announces the alert nor loses its resolve.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { builtinOutputs } from '../../plugins/outputs/registry.ts';
import { startSink, type Sink } from '../helpers/sink.ts';
import { freePort, repoRoot, startViva, tempDir, waitFor, type VivaProcess } from '../helpers/viva.ts';
import { readServicesEnv, serviceAddresses } from '../setup/services.ts';

const AM = serviceAddresses().alertmanagerUrl;

const running: VivaProcess[] = [];
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const p of running.splice(0)) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  for (const c of closers.splice(0)) await c();
});

/** An alert as GET /api/v2/alerts lists it. */
interface GettableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  status: { state: string };
}

/** A notification as the webhook output posts it. */
interface Notification {
  status: string;
  alerts: { status: string; labels: Record<string, string>; startsAt: string; endsAt: string }[];
}

async function listed(alertname: string): Promise<GettableAlert[]> {
  const res = await fetch(`${AM}/api/v2/alerts?filter=${encodeURIComponent(`alertname="${alertname}"`)}`);
  expect(res.status).toBe(200);
  return (await res.json()) as GettableAlert[];
}

/**
 * Modules of outputs not yet in the built-in registry, loaded as external plugins (`plugins = [...]`
 * in the config) so this test runs before and after they are registered.
 */
function externalOutputs(): string {
  const missing = ['alertmanager', 'webhook'].filter((n) => !builtinOutputs.some((d) => d.name === n));
  if (missing.length === 0) return '';
  const mods = missing.map((n) => JSON.stringify(path.join(repoRoot, 'plugins', 'outputs', n, 'index.ts')));
  return `plugins = [${mods.join(', ')}]\n`;
}

/** Sets the load the lookup table gives series s0 (written whole, then renamed into place). */
function setLoad(dir: string, load: number): void {
  const file = path.join(dir, 'load.csv');
  fs.writeFileSync(file + '.tmp', `series,load\ns0,${load}\n`);
  fs.renameSync(file + '.tmp', file);
}

async function config(dir: string, alertname: string, hook: Sink): Promise<string> {
  const file = path.join(dir, 'agent.toml');
  fs.writeFileSync(
    file,
    `${externalOutputs()}
[agent]
interval = "250ms"
flush_interval = "100ms"
omit_hostname = true
http_listen = "127.0.0.1:${await freePort()}"
data_dir = "${path.join(dir, 'data')}"
watch_config = false

[[inputs.generator]]
series = 1
tag_count = 0
field_count = 1

[[processors.lookup]]
file = "${path.join(dir, 'load.csv')}"
key = "{{series}}"
check_interval = "100ms"

[[processors.alert]]
alert = "${alertname}"
value = "number(tags.load)"
warning = 80
critical = 90
by = ["series"]
for = "2s"
labels = { source = "viva-e2e" }
annotations = { summary = "load {{value}} on {{series}}" }

[[outputs.alertmanager]]
namepass = ["alert"]
urls = ["${AM}"]

[[outputs.webhook]]
namepass = ["alert"]
url = "http://127.0.0.1:${hook.port}/"
`,
  );
  return file;
}

function agent(file: string): VivaProcess {
  const p = startViva(['agent', '-c', file]);
  running.push(p);
  return p;
}

async function stop(p: VivaProcess): Promise<void> {
  p.child.kill('SIGTERM');
  expect(await p.exited).toBe(0);
}

async function sink(): Promise<Sink> {
  const s = await startSink();
  closers.push(() => s.close());
  return s;
}

const notifications = (s: Sink): Notification[] => s.lines.map((l) => JSON.parse(l) as Notification);

/** Listens where the test Alertmanager sends its own notifications, when that port is free. */
async function alertmanagerReceiver(): Promise<Notification[] | undefined> {
  const got: Notification[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push(JSON.parse(Buffer.concat(chunks).toString()) as Notification);
      res.writeHead(200).end();
    });
  });
  const port = Number(readServicesEnv().VIVA_ALERT_WEBHOOK_PORT);
  const ok = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => resolve(true));
  });
  if (!ok) return undefined;
  closers.push(
    () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return got;
}

describe('alerting end to end with Alertmanager', () => {
  it('should list the alert firing in Alertmanager once the metric stayed over the threshold for `for`, then resolved once it recovers', async () => {
    const dir = tempDir();
    const alertname = `VivaE2eLoad${Date.now()}`;
    const hook = await sink();
    const amNotified = await alertmanagerReceiver();
    setLoad(dir, 10);
    const p = agent(await config(dir, alertname, hook));
    await waitFor(() => p.stderr().includes('agent started'), 'the agent to start');
    await new Promise((r) => setTimeout(r, 1500));
    expect(await listed(alertname)).toEqual([]);

    const high = Date.now();
    setLoad(dir, 95);
    const [alert] = await waitFor(async () => {
      const l = await listed(alertname);
      return l.length > 0 ? l : null;
    }, 'Alertmanager to list the alert firing');
    // Pending from the first metric with the high load, firing 2 s later.
    expect(Date.now() - high).toBeGreaterThanOrEqual(2000);
    expect(alert.status.state).toBe('active');
    expect(alert.labels).toEqual({ alertname, severity: 'critical', series: 's0', source: 'viva-e2e' });
    expect(alert.annotations).toEqual({ summary: 'load 95 on s0' });
    expect(Date.parse(alert.startsAt)).toBeGreaterThanOrEqual(high + 2000 - 250);
    expect(Date.parse(alert.endsAt)).toBeGreaterThan(Date.now());
    // Alertmanager notifies a group group_wait (1 s) after its first alert, and never of an alert
    // that resolved before it was notified firing: let it fire that long.
    await new Promise((r) => setTimeout(r, 2000));

    const low = Date.now();
    setLoad(dir, 10);
    await waitFor(async () => (await listed(alertname)).length === 0, 'Alertmanager to see it resolved');
    await stop(p);

    const sent = notifications(hook);
    expect(sent.map((n) => [n.status, n.alerts.map((a) => a.labels.severity)])).toEqual([
      ['firing', ['critical']],
      ['resolved', ['critical']],
    ]);
    const resolved = sent[1].alerts[0];
    expect(resolved.startsAt).toBe(alert.startsAt);
    expect(Date.parse(resolved.endsAt)).toBeGreaterThanOrEqual(low);
    expect(Date.parse(resolved.endsAt)).toBeLessThanOrEqual(Date.now());

    // Alertmanager's own notifications (its webhook receiver), when the port was free to listen on.
    if (amNotified !== undefined) {
      const ours = (): Notification[] =>
        amNotified.filter((n) => n.alerts.some((a) => a.labels.alertname === alertname));
      await waitFor(
        () => ours().some((n) => n.status === 'resolved'),
        'Alertmanager to notify the resolve',
        30_000,
      );
      expect(ours()[0].status).toBe('firing');
    }
  });

  it('should keep a firing alert across an agent restart without announcing it again, and still resolve it', async () => {
    const dir = tempDir();
    const alertname = `VivaE2eRestart${Date.now()}`;
    const hook = await sink();
    setLoad(dir, 95);
    const file = await config(dir, alertname, hook);
    const first = agent(file);
    await waitFor(async () => (await listed(alertname)).length > 0, 'Alertmanager to list the alert firing');
    await waitFor(() => hook.lines.length > 0, 'the webhook notification');
    await stop(first);
    expect(fs.existsSync(path.join(dir, 'data', 'state', 'processors.alert', 'alert-state.json'))).toBe(true);

    // Same config and state: the load is still high for several evaluations after the restart.
    const second = agent(file);
    await waitFor(
      () => second.stderr().includes('alert state loaded'),
      'the restarted agent to load the alert state',
    );
    await new Promise((r) => setTimeout(r, 3000));
    expect(notifications(hook).map((n) => n.status)).toEqual(['firing']);
    expect((await listed(alertname)).map((a) => a.status.state)).toEqual(['active']);

    setLoad(dir, 10);
    await waitFor(async () => (await listed(alertname)).length === 0, 'Alertmanager to see it resolved');
    await waitFor(() => hook.lines.length >= 2, 'the resolved notification');
    await stop(second);
    const sent = notifications(hook);
    expect(sent.map((n) => n.status)).toEqual(['firing', 'resolved']);
    // The resolve is of the alert that fired before the restart.
    expect(sent[1].alerts[0].startsAt).toBe(sent[0].alerts[0].startsAt);
  });
});
