/**
 * The prometheus_remote_write input against the real Prometheus: a private Prometheus process
 * (its own config, data directory and port, so the shared one of scripts/services.sh is not
 * disturbed) scrapes itself every second and remote-writes to the input on loopback, with a bearer
 * token. Its own series (prometheus_build_info, up) must arrive as VIVA metrics, and nothing it
 * sends may be refused.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig, testContext, TestAccumulator } from '../../core/plugin/testing.ts';
import { collectorConfig, startCollector } from '../helpers/collector.ts';
import type { Metric } from '../../core/model/metric/metric.ts';
import { prometheusRemoteWriteInput } from '../../plugins/inputs/prometheus_remote_write/index.ts';
import { PrometheusRemoteWriteListener } from '../../plugins/inputs/prometheus_remote_write/prometheus_remote_write.ts';
import {
  counterValue,
  freePort,
  scrape,
  startViva,
  tempDir,
  waitFor,
  type VivaProcess,
} from '../helpers/viva.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** Stops a child with SIGTERM, then SIGKILL if it has not exited within 10 s. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(t);
}

/** Starts a private Prometheus scraping itself and remote-writing to `writeUrl`. */
async function startPrometheus(
  writeUrl: string,
  token: string,
): Promise<{ port: number; log: () => string; stop: () => Promise<void> }> {
  const dir = tempDir('viva-prom-rw-');
  const port = await freePort();
  const config = path.join(dir, 'prometheus.yml');
  fs.writeFileSync(
    config,
    `global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: self
    static_configs:
      - targets: ['127.0.0.1:${port}']
remote_write:
  - url: ${writeUrl}
    authorization:
      credentials: ${token}
    queue_config:
      batch_send_deadline: 1s
      min_backoff: 100ms
      max_backoff: 1s
`,
  );
  const child = spawn(
    'prometheus',
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  child.stdout?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-20_000)));
  child.stderr?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-20_000)));
  const failed = new Promise<never>((_, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`prometheus exited (${code}):\n${log}`)));
  });
  failed.catch(() => undefined);
  cleanup.push(async () => {
    await stopChild(child);
    fs.rmSync(dir, { recursive: true, force: true });
  });
  await Promise.race([
    failed,
    waitFor(
      async () => (await fetch(`http://127.0.0.1:${port}/-/ready`)).ok,
      'the private Prometheus to be ready',
      30_000,
      200,
    ),
  ]);
  return { port, log: () => log, stop: () => stopChild(child) };
}

/** The metrics carrying field `name`. */
const withField = (acc: TestAccumulator, name: string): Metric[] =>
  acc.metrics.filter((m) => Object.hasOwn(m.fields, name));

describe('prometheus_remote_write input with a real Prometheus', () => {
  it(
    "should receive Prometheus's own series as metrics, with the token, refusing nothing",
    { timeout: 90_000 },
    async () => {
      const token = 'rw-secret-token';
      const def = prometheusRemoteWriteInput;
      const listener = new PrometheusRemoteWriteListener(
        parseConfig(def, { service_address: '127.0.0.1:0', token }),
        testContext(def),
      );
      const acc = new TestAccumulator();
      await listener.start(acc);
      cleanup.push(() => listener.stop());

      const started = Date.now();
      const prom = await startPrometheus(`http://127.0.0.1:${listener.port}/api/v1/write`, token);
      const build = await waitFor(
        () => {
          const found = withField(acc, 'prometheus_build_info');
          return found.length > 0 && withField(acc, 'up').length > 0 ? found : undefined;
        },
        `prometheus_build_info and up to arrive (rejects: ${JSON.stringify(acc.rejects)})`,
        60_000,
        200,
      ).catch((e: unknown) => {
        throw new Error(`${String(e)}\nprometheus log:\n${prom.log()}`);
      });

      const instance = `127.0.0.1:${prom.port}`;
      expect(build[0].name).toBe('prometheus_remote_write');
      expect(build[0].fields).toEqual({ prometheus_build_info: 1 });
      expect(build[0].tags).toMatchObject({ job: 'self', instance });
      expect(build[0].tags.version).toMatch(/^\d+\.\d+\.\d+/);
      expect(build[0].tags).not.toHaveProperty('__name__');
      // Sample times are Prometheus's scrape times, in milliseconds.
      expect(build[0].timeMs).toBeGreaterThanOrEqual(started - 5_000);
      expect(build[0].timeMs).toBeLessThanOrEqual(Date.now());
      expect(build[0].timeNs).toBe(0);
      const up = withField(acc, 'up')[0];
      expect(up.fields.up).toBe(1);
      expect(up.tags).toEqual({ job: 'self', instance });
      // Every request Prometheus sent (samples, metadata) was accepted.
      expect(acc.rejects).toEqual([]);
    },
  );

  it(
    'should carry the series through a real viva agent to its file output as line protocol',
    { timeout: 90_000 },
    async () => {
      const dir = tempDir('viva-prom-rw-agent-');
      cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
      const [admin, rwPort] = await Promise.all([freePort(), freePort()]);
      const out = path.join(dir, 'out.lp');
      const cfg = path.join(dir, 'agent.toml');
      fs.writeFileSync(
        cfg,
        `[agent]
flush_interval = "200ms"
http_listen = "127.0.0.1:${admin}"
data_dir = "${dir}/data"
omit_hostname = true

[[inputs.prometheus_remote_write]]
service_address = "127.0.0.1:${rwPort}"
token = "agent-token"
metric_version = 1

[[outputs.file]]
files = ["${out}"]
`,
      );
      const viva: VivaProcess = startViva(['agent', '-c', cfg]);
      cleanup.push(async () => {
        if (viva.child.exitCode === null) viva.child.kill('SIGKILL');
        await viva.exited;
      });
      await waitFor(
        async () => (await fetch(`http://127.0.0.1:${admin}/ready`)).ok,
        `the agent to be ready (stderr: ${viva.stderr()})`,
        30_000,
        200,
      );
      const prom = await startPrometheus(`http://127.0.0.1:${rwPort}/api/v1/write`, 'agent-token');
      const line = await waitFor(
        () =>
          fs.existsSync(out)
            ? fs
                .readFileSync(out, 'utf8')
                .split('\n')
                .find((l) => l.startsWith('prometheus_build_info,'))
            : undefined,
        'prometheus_build_info in the file output',
        60_000,
        200,
      ).catch((e: unknown) => {
        throw new Error(`${String(e)}\nagent stderr:\n${viva.stderr()}\nprometheus log:\n${prom.log()}`);
      });
      // metric_version 1: the measurement is __name__, the field "value".
      expect(line).toMatch(
        new RegExp(`^prometheus_build_info,.*instance=127\\.0\\.0\\.1:${prom.port}.* value=1 \\d{19}$`),
      );
      const text = await scrape(admin);
      expect(counterValue(text, 'viva_input_rejected_total')).toBe(0);
      expect(
        counterValue(text, 'viva_input_gathered_total', { plugin: 'prometheus_remote_write' }),
      ).toBeGreaterThan(0);
    },
  );

  it(
    'should take remote write into a real viva collector, spooled under the input label and routed to a file',
    { timeout: 120_000 },
    async () => {
      const dir = tempDir('viva-prom-rw-coll-');
      cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
      const rwPort = await freePort();
      const promFile = path.join(dir, 'prom.lp');
      const restFile = path.join(dir, 'rest.lp');
      // The input's label is the agent id of what it spools: the "prom" route matches on it, the
      // "rest" route takes anything else.
      const c = await startCollector(
        await collectorConfig(
          dir,
          `
[[inputs.prometheus_remote_write]]
alias = "fleet-prom"
service_address = "127.0.0.1:${rwPort}"
token = "collector-rw-token"

[[routes]]
name = "prom"
agents = ["inputs.prometheus_remote_write:fleet-prom"]
destinations = ["archive"]

[[routes]]
name = "rest"
destinations = ["other"]

[[destinations]]
name = "archive"
outputs = ["prom-file"]

[[destinations]]
name = "other"
outputs = ["rest-file"]

[[outputs.file]]
alias = "prom-file"
files = ["${promFile}"]

[[outputs.file]]
alias = "rest-file"
files = ["${restFile}"]
`,
        ),
      );
      cleanup.push(async () => {
        if (c.proc.child.exitCode === null) c.proc.child.kill('SIGKILL');
        await c.proc.exited;
      });
      const prom = await startPrometheus(`http://127.0.0.1:${rwPort}/api/v1/write`, 'collector-rw-token');
      const linesOf = (file: string): string[] =>
        fs.existsSync(file)
          ? fs
              .readFileSync(file, 'utf8')
              .split('\n')
              .filter((l) => l !== '')
          : [];
      const line = await waitFor(
        () => linesOf(promFile).find((l) => l.includes(' prometheus_build_info=')),
        "prometheus_build_info in the route's file",
        60_000,
        200,
      ).catch((e: unknown) => {
        throw new Error(
          `${String(e)}\ncollector stderr:\n${c.proc.stderr()}\nprometheus log:\n${prom.log()}`,
        );
      });
      // metric_version 2: measurement prometheus_remote_write, one field named after __name__.
      expect(line).toMatch(
        new RegExp(
          `^prometheus_remote_write,.*instance=127\\.0\\.0\\.1:${prom.port}.* prometheus_build_info=1 \\d{19}$`,
        ),
      );
      // Once Prometheus is gone nothing more arrives: the route has counted every line written.
      await prom.stop();
      const routed = await waitFor(
        async () => {
          const n = counterValue(await scrape(c.admin), 'viva_collector_route_metrics_total', {
            route: 'prom',
          });
          return n > 0 && n === linesOf(promFile).length ? n : undefined;
        },
        'the prom route to have counted every line in its file',
        30_000,
        200,
      );
      expect(routed).toBeGreaterThan(0);
      const text = await scrape(c.admin);
      expect(counterValue(text, 'viva_collector_route_metrics_total', { route: 'rest' })).toBe(0);
      expect(counterValue(text, 'viva_collector_unrouted_total')).toBe(0);
      expect(counterValue(text, 'viva_input_rejected_total')).toBe(0);
      expect(linesOf(restFile)).toEqual([]);
      c.proc.child.kill('SIGTERM');
      expect(await c.proc.exited).toBe(0);
    },
  );
});
