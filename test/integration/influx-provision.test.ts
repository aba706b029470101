/**
 * Must show 1 of issue 15: the influxdb output's `provision` block against the real InfluxDB 1.6 of
 * scripts/services.sh. After a first start of `viva collector`, SHOW RETENTION POLICIES and SHOW
 * CONTINUOUS QUERIES match the config; a second start changes nothing; a live reload that changes
 * one duration ALTERs that retention policy (the data in it survives) and a changed continuous
 * query is dropped and created again. Each run uses its own database.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Metric } from '../../core/model/metric/metric.ts';
import { collectorConfig, postBatch, startCollector, type CollectorHandle } from '../helpers/collector.ts';
import { counterValue, scrape, tempDir, waitFor } from '../helpers/viva.ts';

const INFLUX = `http://127.0.0.1:${process.env.VIVA_INFLUX_PORT ?? '8086'}`;
const TOKEN = 'provision-admin-token';
const running: CollectorHandle[] = [];
const databases: string[] = [];
const cleanup: (() => Promise<void>)[] = [];

async function influxql(
  q: string,
  db?: string,
): Promise<{ series?: { name?: string; columns: string[]; values: unknown[][] }[]; error?: string }> {
  const body = new URLSearchParams({ q, ...(db !== undefined ? { db } : {}) });
  const res = await fetch(`${INFLUX}/query`, { method: 'POST', body });
  const json = (await res.json()) as {
    results: { series?: { name?: string; columns: string[]; values: unknown[][] }[]; error?: string }[];
  };
  return json.results[0];
}

afterEach(async () => {
  for (const c of running.splice(0)) if (c.proc.child.exitCode === null) c.proc.child.kill('SIGKILL');
  for (const db of databases.splice(0)) await influxql(`DROP DATABASE "${db}"`);
  for (const c of cleanup.splice(0)) await c();
});

/** A TCP proxy to InfluxDB that refuses connections until `up`. */
async function proxy(): Promise<{ url: string; up: { value: boolean } }> {
  const up = { value: false };
  const target = new URL(INFLUX);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    if (!up.value) return void sock.destroy();
    const c = net.connect(Number(target.port), target.hostname);
    sockets.add(sock).add(c);
    sock.pipe(c).pipe(sock);
    const end = (): void => {
      sock.destroy();
      c.destroy();
    };
    sock.on('error', end).on('close', end);
    c.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  cleanup.push(async () => {
    for (const x of sockets) x.destroy();
    await new Promise((r) => server.close(r));
  });
  return { url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, up };
}

/** SHOW RETENTION POLICIES as [name, duration, shard duration, replication, default] rows. */
async function rps(db: string): Promise<unknown[][]> {
  return (await influxql(`SHOW RETENTION POLICIES ON "${db}"`)).series?.[0].values ?? [];
}

/** SHOW CONTINUOUS QUERIES of one database as name → statement. */
async function cqs(db: string): Promise<Record<string, string>> {
  const s = (await influxql('SHOW CONTINUOUS QUERIES')).series?.find((x) => x.name === db);
  return Object.fromEntries((s?.values ?? []).map((v) => [String(v[0]), String(v[1])]));
}

function config(db: string, rawDuration: string, cqField: string): string {
  return `
[[routes]]
name = "all"
destinations = ["tsdb"]

[[destinations]]
name = "tsdb"
outputs = ["influx"]

[[outputs.influxdb]]
alias = "influx"
urls = ["${INFLUX}"]
database = "${db}"
retention_policy = "raw"

[outputs.influxdb.provision]
retention_policies = [
  { name = "raw", duration = "${rawDuration}", shard_duration = "1d", default = true },
  { name = "rollup_1m", duration = "90d", shard_duration = "7d" },
  { name = "rollup_1h", duration = "730d" },
]

[[outputs.influxdb.provision.continuous_queries]]
name = "cpu_1h"
query = 'SELECT mean("${cqField}") AS "${cqField}" INTO "rollup_1h"."cpu" FROM "raw"."cpu" GROUP BY time(1h), *'

[[outputs.influxdb.provision.continuous_queries]]
name = "mem_1h"
resample_every = "10m"
resample_for = "2h"
query = 'SELECT max(used) AS used INTO rollup_1h.mem FROM raw.mem GROUP BY time(1h), host'
`;
}

/** The "database provisioned" log lines of a process so far, parsed. */
function provisioned(
  c: CollectorHandle,
): { created: string[]; altered: string[]; recreated: string[]; unchanged: string[] }[] {
  return c.proc
    .stderr()
    .split('\n')
    .filter((l) => l.includes('"database provisioned"'))
    .map(
      (l) =>
        JSON.parse(l) as { created: string[]; altered: string[]; recreated: string[]; unchanged: string[] },
    );
}

describe('InfluxDB provisioning from the influxdb output config', () => {
  it(
    'should make SHOW RETENTION POLICIES and SHOW CONTINUOUS QUERIES match the config at a first start, a second start and after a reload, altering a changed duration',
    { timeout: 180_000 },
    async () => {
      const db = `viva_prov_${process.pid}_${Date.now()}`;
      databases.push(db);
      const dir = tempDir('viva-provision-');
      const agent = `http_auth_token = "${TOKEN}"`;
      const cfg = await collectorConfig(dir, config(db, '7d', 'usage'), { agent });

      const wantRps = (rawHours: number): unknown[][] => [
        ['autogen', '0s', '168h0m0s', 1, false],
        ['raw', `${rawHours}h0m0s`, '24h0m0s', 1, true],
        ['rollup_1m', '2160h0m0s', '168h0m0s', 1, false],
        ['rollup_1h', '17520h0m0s', '168h0m0s', 1, false],
      ];
      const wantCqs = (field: string): Record<string, string> => ({
        cpu_1h: `CREATE CONTINUOUS QUERY cpu_1h ON ${db} BEGIN SELECT mean(${field}) AS ${field} INTO ${db}.rollup_1h.cpu FROM ${db}.raw.cpu GROUP BY time(1h), * END`,
        mem_1h: `CREATE CONTINUOUS QUERY mem_1h ON ${db} RESAMPLE EVERY 10m FOR 2h BEGIN SELECT max(used) AS used INTO ${db}.rollup_1h.mem FROM ${db}.raw.mem GROUP BY time(1h), host END`,
      });

      // First start: everything is created (with no metric sent: provisioning happens at start).
      let c = await startCollector(cfg);
      running.push(c);
      await waitFor(() => provisioned(c).length === 1, 'the first provisioning', 30_000);
      expect(provisioned(c)[0]).toMatchObject({ altered: [], recreated: [], unchanged: [] });
      expect(provisioned(c)[0].created).toHaveLength(5);
      expect(await rps(db)).toEqual(wantRps(168));
      expect(await cqs(db)).toEqual(wantCqs('usage'));

      // Data in the raw retention policy, through the collector.
      const now = Date.now();
      const metrics = Array.from(
        { length: 20 },
        (_, i) => new Metric('cpu', { host: 'h1' }, { usage: i }, now - 60_000 + i),
      );
      expect(await postBatch(c.port, metrics)).toBe(204);
      const rawCount = async (): Promise<number> =>
        Number((await influxql('SELECT count(usage) FROM raw.cpu', db)).series?.[0].values[0][1] ?? 0);
      await waitFor(async () => (await rawCount()) === 20, 'the points in raw', 30_000);

      // Second start of a new process: nothing changes.
      c.proc.child.kill('SIGTERM');
      await waitFor(() => c.proc.child.exitCode !== null, 'the collector to stop', 30_000);
      c = await startCollector(cfg);
      running.push(c);
      await waitFor(() => provisioned(c).length === 1, 'the second provisioning', 30_000);
      expect(provisioned(c)[0]).toMatchObject({ created: [], altered: [], recreated: [] });
      expect(provisioned(c)[0].unchanged).toHaveLength(5);
      expect(await rps(db)).toEqual(wantRps(168));
      expect(await cqs(db)).toEqual(wantCqs('usage'));

      // Live reload: raw keeps 14 days instead of 7, and one continuous query reads another field.
      await collectorConfig(dir, config(db, '14d', 'idle'), { port: c.port, admin: c.admin, agent });
      const r = await fetch(`http://127.0.0.1:${c.admin}/admin/reload`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(r.status).toBe(200);
      await waitFor(() => provisioned(c).length === 2, 'the provisioning after the reload', 30_000);
      expect(provisioned(c)[1]).toMatchObject({
        created: [],
        altered: ['retention policy raw'],
        recreated: ['continuous query cpu_1h'],
      });
      expect(await rps(db)).toEqual(wantRps(336));
      expect(await cqs(db)).toEqual(wantCqs('idle'));
      // Altered, not recreated: the points written before are still there.
      expect(await rawCount()).toBe(20);
    },
  );

  it(
    'should start while InfluxDB is unreachable and provision before its first write once it answers',
    { timeout: 120_000 },
    async () => {
      const db = `viva_prov_late_${process.pid}_${Date.now()}`;
      databases.push(db);
      const p = await proxy();
      const cfg = await collectorConfig(
        tempDir('viva-provision-'),
        config(db, '7d', 'usage')
          .replace(`urls = ["${INFLUX}"]`, `urls = ["${p.url}"]\ntimeout = "2s"`)
          .replace(
            'outputs = ["influx"]',
            'outputs = ["influx"]\nbreaker = { failures = 1, open_for = "300ms", max_open_for = "300ms" }',
          ),
      );
      const c = await startCollector(cfg);
      running.push(c);
      await waitFor(
        () => c.proc.stderr().includes('could not provision the database yet'),
        'the failed provisioning',
        30_000,
      );
      const now = Date.now();
      const metrics = Array.from(
        { length: 5 },
        (_, i) => new Metric('cpu', { host: 'h1' }, { usage: i }, now - 1000 + i),
      );
      expect(await postBatch(c.port, metrics)).toBe(204);
      p.up.value = true;
      // Written into "raw", which exists only once provisioned: provisioning came first.
      await waitFor(
        async () =>
          Number((await influxql('SELECT count(usage) FROM raw.cpu', db)).series?.[0].values[0][1] ?? 0) ===
          5,
        'the points in raw',
        60_000,
      );
      expect((await rps(db)).map((r) => r[0])).toEqual(['autogen', 'raw', 'rollup_1m', 'rollup_1h']);
      expect(counterValue(await scrape(c.admin), 'viva_collector_dead_letters_total')).toBe(0);
    },
  );
});
