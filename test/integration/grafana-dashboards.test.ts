/**
 * Every query of every Grafana dashboard of conf/grafana/ returns data from the real services:
 * a real `viva agent` (host inputs, a generator, the anomaly and alert processors, one output
 * that cannot reach its server) sends through a real `viva collector` (fleet registry, one
 * healthy and one dead destination) into a unique InfluxDB database, and a private Prometheus
 * scrapes both with conf/prometheus/viva.yml and its alert rules. Template variables are
 * resolved with their own queries and macros expanded as Grafana does (conf/grafana/src/macros.ts);
 * an unknown one fails the test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboards } from '../../conf/grafana/src/index.ts';
import type { MacroContext } from '../../conf/grafana/src/macros.ts';
import { panelTargets } from '../../conf/grafana/src/targets.ts';
import { collectorConfig, startCollector, type CollectorHandle } from '../helpers/collector.ts';
import { freePort, repoRoot, startViva, tempDir, waitFor, type VivaProcess } from '../helpers/viva.ts';
import { dropDatabase, influxUrl, uniqueDatabase } from './support/influx.ts';
import { runInfluxQL, runPromQL, runTarget, variableValues, type Backends } from './support/grafana.ts';

const SCRAPE_MS = 1000;
const all = dashboards();
const cleanup: (() => Promise<void> | void)[] = [];
let backends: Backends;
let started = 0;

/** Stops a child with SIGTERM, then SIGKILL if it has not exited within 10 s. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(t);
}

/** The collector: fleet registry, a destination into the test database and one that is down. */
async function collector(dir: string, db: string, dead: number): Promise<CollectorHandle> {
  const cfg = await collectorConfig(
    dir,
    `[[routes]]
name = "all"
destinations = ["tsdb", "archive"]

[[destinations]]
name = "tsdb"
outputs = ["influx"]

[[destinations]]
name = "archive"
outputs = ["archive-down"]
breaker = { failures = 1, open_for = "1m" }

[[outputs.influxdb]]
alias = "influx"
urls = ["${influxUrl()}"]
database = "${db}"

[[outputs.influxdb]]
alias = "archive-down"
urls = ["http://127.0.0.1:${dead}"]
database = "archive"
timeout = "1s"
`,
    { collector: '[collector.fleet]\ndeadman = "5s"' },
  );
  const c = await startCollector(cfg);
  cleanup.push(() => stopChild(c.proc.child));
  return c;
}

/** The agent: host inputs and a generator whose anomalies and alerts are events. */
function agent(dir: string, c: CollectorHandle, port: number, dead: number): VivaProcess {
  const file = path.join(dir, 'agent.toml');
  fs.writeFileSync(
    file,
    `[agent]
interval = "1s"
flush_interval = "1s"
hostname = "grafana-host-1"
http_listen = "127.0.0.1:${port}"
data_dir = "${path.join(dir, 'agent-data')}"
watch_config = false

[agent.fleet]
collector = "http://127.0.0.1:${c.port}"
interval = "1s"

[[inputs.cpu]]
[[inputs.mem]]
[[inputs.disk]]
[[inputs.diskio]]
[[inputs.net]]
[[inputs.system]]

[[inputs.generator]]
name = "demo"
series = 2
tag_count = 1
field_count = 1

[[processors.anomaly]]
namepass = ["demo"]
mode = "events"
detector = "ewma"
fields = ["value0"]
warmup = 5
threshold = 0.01
cooldown = 1

[[processors.alert]]
namepass = ["demo"]
alert = "DemoValue"
value = "fields.value0"
warning = -1e9
flap_threshold = 50

[[outputs.viva]]
urls = ["http://127.0.0.1:${c.port}"]
agent_id = "grafana-host-1"

[[outputs.influxdb]]
alias = "unreachable"
urls = ["http://127.0.0.1:${dead}"]
database = "x"
timeout = "1s"
metric_buffer_limit = 20
`,
  );
  const p = startViva(['agent', '-c', file]);
  cleanup.push(() => stopChild(p.child));
  return p;
}

/** A private Prometheus running conf/prometheus/viva.yml (1 s scrapes) against the two processes. */
async function prometheus(dir: string, agentPort: number, adminPort: number): Promise<string> {
  const conf = path.join(repoRoot, 'conf', 'prometheus');
  const pdir = path.join(dir, 'prometheus');
  fs.mkdirSync(path.join(pdir, 'targets'), { recursive: true });
  const viva = fs
    .readFileSync(path.join(conf, 'viva.yml'), 'utf8')
    .replace(/scrape_interval: \S+/, `scrape_interval: ${SCRAPE_MS / 1000}s`)
    .replace(/scrape_timeout: \S+/, 'scrape_timeout: 1s')
    .replace(/evaluation_interval: \S+/, 'evaluation_interval: 1s');
  fs.writeFileSync(path.join(pdir, 'viva.yml'), viva);
  fs.copyFileSync(path.join(conf, 'alert-rules.yml'), path.join(pdir, 'alert-rules.yml'));
  fs.writeFileSync(path.join(pdir, 'targets', 'agents.yml'), `- targets: ['127.0.0.1:${agentPort}']\n`);
  fs.writeFileSync(path.join(pdir, 'targets', 'collectors.yml'), `- targets: ['127.0.0.1:${adminPort}']\n`);
  const port = await freePort();
  const child = spawn(
    'prometheus',
    [
      `--config.file=${path.join(pdir, 'viva.yml')}`,
      `--storage.tsdb.path=${path.join(pdir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { cwd: pdir, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-10_000)));
  cleanup.push(() => stopChild(child));
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`prometheus exited:\n${log}`);
      return (await fetch(`http://127.0.0.1:${port}/-/ready`)).ok;
    },
    'the private Prometheus to be ready',
    60_000,
    200,
  );
  return `http://127.0.0.1:${port}`;
}

/** The time range and interval the queries run over: since the test started, 1 s steps. */
function baseContext(): MacroContext {
  return { from: started, to: Date.now(), intervalMs: SCRAPE_MS, scrapeIntervalMs: SCRAPE_MS, variables: {} };
}

beforeAll(async () => {
  started = Date.now() - 60_000;
  const dir = tempDir('viva-grafana-');
  const db = uniqueDatabase('viva_grafana');
  cleanup.push(async () => {
    await dropDatabase(db).catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const dead = await freePort();
  const agentPort = await freePort();
  const c = await collector(dir, db, dead);
  const a = agent(dir, c, agentPort, dead);
  await waitFor(
    async () => a.child.exitCode === null && (await fetch(`http://127.0.0.1:${agentPort}/metrics`)).ok,
    `the agent to serve /metrics (${a.stderr().slice(-2000)})`,
    60_000,
    200,
  );
  backends = {
    prometheusUrl: await prometheus(dir, agentPort, c.admin),
    influxUrl: influxUrl(),
    influxDb: db,
  };
  // Enough history for rates: ten scrapes of both processes, and the events in InfluxDB.
  await waitFor(
    async () => {
      const q = 'count(count_over_time(up{job=~"viva-agent|viva-collector"}[1m]) >= 10)';
      const r = await runPromQL(backends, q, baseContext(), true);
      return r[0]?.value?.[1] === '2';
    },
    'Prometheus to hold ten scrapes of the agent and the collector',
    120_000,
    500,
  );
  await waitFor(
    async () => {
      const names = (await runInfluxQL(backends, 'SHOW MEASUREMENTS')).flatMap((s) => s.values.flat());
      return ['cpu', 'anomaly', 'alert'].every((m) => names.includes(m));
    },
    'host metrics, anomalies and alerts in InfluxDB',
    120_000,
    500,
  );
}, 400_000);

afterAll(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

describe.each(Object.entries(all))('Grafana dashboard %s', (file, d) => {
  it('should have every variable return values from the real services', async () => {
    for (const v of d.templating.list ?? []) {
      if (v.type !== 'query') continue;
      const values = await waitFor(
        async () => {
          const found = await variableValues(backends, v, baseContext());
          return found.length > 0 ? found : undefined;
        },
        `${file}: variable $${v.name} to have values`,
        90_000,
        500,
      );
      expect(values.length, `${file} $${v.name}`).toBeGreaterThan(0);
    }
  });

  it.each(panelTargets(d).map((t) => [`${t.panel} (${t.refId})`, t] as const))(
    'should return data for %s',
    async (_name, target) => {
      const ctx = baseContext();
      for (const v of d.templating.list ?? [])
        if (v.type === 'query') ctx.variables[v.name] = await variableValues(backends, v, ctx);
      const run = await waitFor(
        async () => {
          const r = await runTarget(backends, target, { ...ctx, to: Date.now() });
          return r.data ? r : undefined;
        },
        `${file} "${target.panel}" to return data for: ${target.query}`,
        60_000,
        1000,
      );
      expect(run.expanded).not.toMatch(/\$\w|\[\[/);
    },
  );
});
