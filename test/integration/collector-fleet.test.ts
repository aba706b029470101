/**
 * Three real agents send to one real collector through the `viva` output; the collector's routes
 * send `cpu*` to the real InfluxDB, every metric to a file, and the anomaly events its anomaly
 * and alert processors derive from the cpu stream to the real Alertmanager. Every metric arrives
 * exactly where its route says, and nowhere else.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { collectorConfig, startCollector, type CollectorHandle } from '../helpers/collector.ts';
import {
  counterValue,
  freePort,
  scrape,
  startViva,
  tempDir,
  waitFor,
  type VivaProcess,
} from '../helpers/viva.ts';
import { serviceAddresses } from '../setup/services.ts';

const { influxUrl, alertmanagerUrl } = serviceAddresses();
const running: (VivaProcess | CollectorHandle)[] = [];
afterEach(() => {
  for (const p of running.splice(0)) {
    const child = 'proc' in p ? p.proc.child : p.child;
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

const TOKEN = 'fleet-token-abcdef0123456789';

async function agent(
  dir: string,
  name: string,
  collectorPort: number,
): Promise<{ proc: VivaProcess; listen: number }> {
  const listen = await freePort();
  const file = path.join(dir, `${name}.toml`);
  fs.writeFileSync(
    file,
    `[agent]
hostname = "${name}"
flush_interval = "100ms"
http_listen = "127.0.0.1:${await freePort()}"
data_dir = "${path.join(dir, name)}"
watch_config = false

[[inputs.http_listener]]
service_address = "127.0.0.1:${listen}"

[[outputs.viva]]
urls = ["http://127.0.0.1:${collectorPort}"]
token = "${TOKEN}"
agent_id = "${name}"
`,
  );
  const proc = startViva(['agent', '-c', file]);
  running.push(proc);
  await waitFor(() => proc.stderr().includes('agent started'), `agent ${name} to start`, 30_000);
  return { proc, listen };
}

async function influxRows(db: string, measurement: string): Promise<{ host: string; seq: number }[]> {
  const q = encodeURIComponent(`SELECT seq, host FROM "${measurement}"`);
  const body = (await (await fetch(`${influxUrl}/query?db=${db}&q=${q}`)).json()) as {
    results: { series?: { values: [string, number, string][] }[] }[];
  };
  return (body.results[0].series?.[0].values ?? []).map((v) => ({ seq: v[1], host: v[2] }));
}

describe('agents → collector → InfluxDB, file and Alertmanager', () => {
  it('should deliver every metric where its route says', { timeout: 120_000 }, async () => {
    const dir = tempDir('viva-fleet-');
    const db = `fleet${Date.now()}`;
    const alertname = `VivaFleetAnomaly${Date.now()}`;
    const cfg = await collectorConfig(
      dir,
      `
[[routes]]
name = "cpu-to-tsdb"
namepass = ["cpu"]
destinations = ["tsdb"]
continue = true

[[routes]]
name = "cpu-anomalies"
namepass = ["cpu"]
processors = ["cpu-anomaly", "anomaly-alert"]
destinations = ["alerts"]
continue = true

[[routes]]
name = "everything"
destinations = ["archive"]

[[destinations]]
name = "tsdb"
outputs = ["influx"]

[[destinations]]
name = "alerts"
outputs = ["am"]

[[destinations]]
name = "archive"
outputs = ["archive-file"]

[[processors.anomaly]]
alias = "cpu-anomaly"
# 40 samples per series: too short for the default (ensemble) detector's likelihoods to settle.
detector = "ewma"
fields = ["usage"]
mode = "events"
warmup = 20
persist = false

[[processors.alert]]
alias = "anomaly-alert"
namepass = ["anomaly"]
alert = "${alertname}"
value = "fields.score"
critical = 0.5
by = ["host", "measurement"]
persist = false

[[outputs.influxdb]]
alias = "influx"
urls = ["${influxUrl}"]
database = "${db}"

[[outputs.alertmanager]]
alias = "am"
namepass = ["alert"]
urls = ["${alertmanagerUrl}"]

[[outputs.file]]
alias = "archive-file"
files = ["${dir}/archive.lp"]
`,
      { collector: `[collector.tokens]\nfleet = "${TOKEN}"` },
    );
    const c = await startCollector(cfg);
    running.push(c);
    const agents = await Promise.all(['web-1', 'web-2', 'db-1'].map((n) => agent(dir, n, c.port)));

    // Each agent: 40 cpu samples around 40 (web-1's last one spikes to 97) and 40 mem samples.
    const t0 = Date.now() - 45_000;
    for (const [k, a] of agents.entries()) {
      const lines: string[] = [];
      for (let i = 0; i < 40; i++) {
        const usage = k === 0 && i === 39 ? 97 : 40 + (i % 3);
        lines.push(`cpu,host=h${k} usage=${usage},seq=${i}i ${(t0 + i * 1000) * 1e6}`);
        lines.push(`mem,host=h${k} used=${1000 + i},seq=${i}i ${(t0 + i * 1000) * 1e6}`);
      }
      const res = await fetch(`http://127.0.0.1:${a.listen}/write`, {
        method: 'POST',
        body: lines.join('\n'),
      });
      expect(res.status).toBe(204);
    }

    // cpu of all three agents in InfluxDB, and no mem.
    await waitFor(
      async () => (await influxRows(db, 'cpu')).length === 120,
      'all 120 cpu points in InfluxDB',
      60_000,
      250,
    );
    expect(await influxRows(db, 'mem')).toEqual([]);
    expect(await influxRows(db, 'anomaly')).toEqual([]);
    // Everything in the archive: 120 cpu + 120 mem, each agent's 40 of each.
    const archive = path.join(dir, 'archive.lp');
    await waitFor(
      () => fs.existsSync(archive) && fs.readFileSync(archive, 'utf8').trim().split('\n').length >= 240,
      'the archive file',
      30_000,
    );
    const lines = fs.readFileSync(archive, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(240);
    for (const h of ['h0', 'h1', 'h2'])
      for (const m of ['cpu', 'mem'])
        expect(lines.filter((l) => l.startsWith(`${m},host=${h} `))).toHaveLength(40);
    expect(lines.some((l) => l.startsWith('anomaly') || l.startsWith('alert'))).toBe(false);
    // The spike on web-1's cpu: one anomaly event → one alert in Alertmanager, for h0 only.
    const alerts = await waitFor(
      async () => {
        const r = await fetch(
          `${alertmanagerUrl}/api/v2/alerts?filter=${encodeURIComponent(`alertname="${alertname}"`)}`,
        );
        const l = (await r.json()) as { labels: Record<string, string> }[];
        return l.length > 0 ? l : null;
      },
      'Alertmanager to list the anomaly alert',
      30_000,
      250,
    );
    expect(alerts.map((a) => a.labels.host)).toEqual(['h0']);
    expect(alerts[0].labels.measurement).toBe('cpu');

    const text = await scrape(c.admin);
    for (const n of ['web-1', 'web-2', 'db-1'])
      expect(counterValue(text, 'viva_collector_ingest_metrics_total', { agent: n })).toBe(80);
    expect(counterValue(text, 'viva_collector_route_metrics_total', { route: 'cpu-to-tsdb' })).toBe(120);
    expect(counterValue(text, 'viva_collector_unrouted_total')).toBe(0);
  });
});
