/**
 * Fault suite, scale-out on Kafka: five real `viva agent`s (generator → kafka output, keyed by
 * series) produce to a 6-partition topic of the shared broker (scripts/services.sh); three real
 * `viva collector`s consume it as one consumer group (kafka_consumer in the collector: offsets
 * committed once the batch is in the spool, fsync "always") and deliver to a PRIVATE InfluxDB
 * (its own directory and ports, so stopping it disturbs no other test). Mid-stream one collector is
 * killed with SIGKILL; a collector is started later on the dead one's data directory (its spool:
 * the pod coming back with its volume) and takes its share; InfluxDB is stopped for 60 s in
 * between. Oracle: InfluxDB ends with exactly the metrics produced (each agent's generator gives a
 * unique seq; 5 × total), no collector dies on its own, and the duplicates (messages read twice by
 * the group, counted by the collectors) are reported.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Admin } from '@platformatic/kafka';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { serviceAddresses } from '../setup/services.ts';
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
import { ended, seed } from './load.ts';

const run = promisify(execFile);
const script = path.join(import.meta.dirname, '..', '..', 'scripts', 'services.sh');
const scratch = tempDir('viva-faults-scaleout-');
const AGENTS = 5;
/** Metrics per agent, at RATE per second: about 100 s of production. */
const TOTAL = 5000;
const RATE = 50;
const OUTAGE_MS = 60_000;
const PARTITIONS = 6;

let influxEnv: NodeJS.ProcessEnv = {};
let influxUrl = '';
const brokers = (): string[] => serviceAddresses().kafkaBrokers;

/** scripts/services.sh for the private InfluxDB. */
async function influx(cmd: 'up' | 'down'): Promise<void> {
  await run('bash', [script, cmd, 'influxdb'], { env: influxEnv, timeout: 300_000 });
}

beforeAll(async () => {
  // The shared broker (reused when it already runs).
  await run('bash', [script, 'up', 'kafka'], { timeout: 900_000 });
  const [port, rpc] = [await freePort(), await freePort()];
  influxEnv = {
    ...process.env,
    VIVA_SERVICES_DIR: path.join(scratch, 'services'),
    VIVA_INFLUX_PORT: String(port),
    VIVA_INFLUX_RPC_PORT: String(rpc),
  };
  influxUrl = `http://127.0.0.1:${port}`;
  await influx('up');
}, 900_000);

afterAll(async () => {
  await influx('down').catch(() => undefined);
  fs.rmSync(scratch, { recursive: true, force: true });
}, 120_000);

const procs: VivaProcess[] = [];
afterEach(async () => {
  const all = procs.splice(0);
  for (const p of all) if (!ended(p)) p.child.kill('SIGKILL');
  for (const p of all) await p.exited;
});

/** Distinct (agent, seq) pairs in the database, and the row count. */
async function stored(db: string): Promise<{ rows: number; keys: Set<string> }> {
  const url = new URL('/query', influxUrl);
  url.searchParams.set('db', db);
  url.searchParams.set('q', 'SELECT "seq", "agent" FROM "generated"');
  const res = await fetch(url, { method: 'POST' });
  const body = (await res.json()) as { results: { series?: { values: [string, number, string][] }[] }[] };
  const values = body.results[0]?.series?.flatMap((s) => s.values) ?? [];
  return { rows: values.length, keys: new Set(values.map(([, seq, agent]) => `${agent}/${seq}`)) };
}

async function count(db: string): Promise<number> {
  const url = new URL('/query', influxUrl);
  url.searchParams.set('db', db);
  url.searchParams.set('q', 'SELECT count("seq") FROM "generated"');
  const body = (await (await fetch(url, { method: 'POST' })).json()) as {
    results: { series?: { values: [string, number][] }[] }[];
  };
  return body.results[0]?.series?.[0]?.values[0]?.[1] ?? 0;
}

function agentConfig(dir: string, name: string, topic: string): string {
  const file = path.join(dir, `${name}.toml`);
  fs.mkdirSync(path.join(dir, name), { recursive: true });
  fs.writeFileSync(
    file,
    `[agent]\nflush_interval = "200ms"\nmetric_batch_size = 500\nhttp_listen = ""\n` +
      `data_dir = "${path.join(dir, name)}"\nomit_hostname = true\nwatch_config = false\n\n` +
      `[global_tags]\nagent = "${name}"\n\n` +
      `[[inputs.generator]]\nseries = 20\ntag_count = 1\nfield_count = 1\nrate = ${RATE}\nbatch_size = 25\ntotal = ${TOTAL}\n\n` +
      `[[outputs.kafka]]\nbrokers = ${JSON.stringify(brokers())}\ntopic = "${topic}"\n` +
      `request_timeout = "10s"\nretry_initial_backoff = "100ms"\nretry_max_backoff = "1s"\n`,
  );
  return file;
}

async function collector(dir: string, topic: string, db: string, group: string): Promise<CollectorHandle> {
  const cfg = await collectorConfig(
    dir,
    `
[[inputs.kafka_consumer]]
brokers = ${JSON.stringify(brokers())}
topics = ["${topic}"]
consumer_group = "${group}"
session_timeout = "6s"
heartbeat_interval = "1s"
max_undelivered_messages = 5000
on_undelivered = "reread"

[[routes]]
name = "all"
destinations = ["tsdb"]

[[destinations]]
name = "tsdb"
outputs = ["influx"]
breaker = { failures = 1, open_for = "500ms", max_open_for = "2s" }

[[outputs.influxdb]]
alias = "influx"
urls = ["${influxUrl}"]
database = "${db}"
timeout = "5s"
`,
    { collector: 'spool_fsync = "always"', agent: 'omit_hostname = true' },
  );
  const c = await startCollector(cfg);
  procs.push(c.proc);
  return c;
}

/** A collector's consumer counters (0 when it does not answer). */
async function consumerStats(c: CollectorHandle): Promise<{
  owned: number;
  redelivered: number;
  rebalances: number;
  spooled: number;
  certain: number;
  uncertain: number;
}> {
  try {
    const text = await scrape(c.admin);
    return {
      owned: counterValue(text, 'viva_input_kafka_consumer_kafka_partitions_owned'),
      redelivered: counterValue(text, 'viva_input_kafka_consumer_kafka_redelivered_messages_total'),
      rebalances: counterValue(text, 'viva_input_kafka_consumer_kafka_rebalances_total'),
      spooled: counterValue(text, 'viva_input_gathered_total', { plugin: 'kafka_consumer' }),
      certain: counterValue(text, 'viva_input_kafka_consumer_kafka_uncommitted_spooled_messages_total'),
      uncertain: counterValue(text, 'viva_input_kafka_consumer_kafka_uncertain_duplicate_messages_total'),
    };
  } catch {
    return { owned: 0, redelivered: 0, rebalances: 0, spooled: 0, certain: 0, uncertain: 0 };
  }
}

describe('fault suite: kafka scale-out', () => {
  it(`should end with exactly the produced metrics in InfluxDB across a kill -9 of a collector, a joining collector and a 60 s InfluxDB outage (seed ${seed})`, async () => {
    const topic = `viva-scaleout-${seed}-${Date.now()}`;
    const group = `${topic}-collectors`;
    const db = 'scaleout';
    const admin = new Admin({ clientId: 'viva-test-admin', bootstrapBrokers: brokers() });
    await admin
      .createTopics({ topics: [topic], partitions: PARTITIONS, replicas: 1 })
      .finally(() => admin.close());

    const dirs = [0, 1, 2].map((i) => path.join(scratch, `collector-${i}`));
    for (const d of dirs) fs.mkdirSync(d, { recursive: true });
    const collectors = await Promise.all(dirs.map((d) => collector(d, topic, db, group)));
    await waitFor(
      async () =>
        (await Promise.all(collectors.map(consumerStats))).reduce((n, s) => n + s.owned, 0) === PARTITIONS,
      'the three collectors to share the partitions',
      90_000,
      500,
    );

    const agentDir = path.join(scratch, 'agents');
    const agents = Array.from({ length: AGENTS }, (_, i) => {
      const p = startViva(['agent', '-c', agentConfig(agentDir, `a${i}`, topic)]);
      procs.push(p);
      return p;
    });
    const expected = AGENTS * TOTAL;

    // Mid-stream: kill -9 the first collector.
    await waitFor(
      async () => (await count(db)) >= expected * 0.15,
      'a sixth of the stream in InfluxDB',
      120_000,
      500,
    );
    const [victim, ...survivors] = collectors;
    // Its counters, read just before the kill (what it pushes in between is not counted).
    const before = await consumerStats(victim);
    victim.proc.child.kill('SIGKILL');
    expect(await victim.proc.exited).toBe('SIGKILL');
    const killedAt = Date.now();

    // InfluxDB goes away for 60 s; a collector starts on the dead one's data directory meanwhile.
    await influx('down');
    const downAt = Date.now();
    await waitFor(() => Date.now() - killedAt > 15_000, 'the group to notice the dead member', 30_000, 200);
    const joiner = await collector(dirs[0], topic, db, group);
    const live = [...survivors, joiner];
    await waitFor(
      async () => {
        const stats = await Promise.all(live.map(consumerStats));
        return stats.every((s) => s.owned > 0) && stats.reduce((n, s) => n + s.owned, 0) === PARTITIONS;
      },
      'the joining collector to take its share',
      90_000,
      500,
    );
    await waitFor(() => Date.now() - downAt >= OUTAGE_MS, 'the end of the outage', OUTAGE_MS + 5000, 500);
    await influx('up');

    let last = 0;
    await waitFor(
      async () => {
        last = await count(db);
        return last >= expected;
      },
      `all ${expected} metrics in InfluxDB`,
      150_000,
      1000,
    ).catch(() => undefined);

    for (const c of live)
      expect(ended(c.proc), `a collector died on its own: ${c.proc.stderr().slice(-2000)}`).toBe(false);
    for (const a of agents) expect(ended(a), `an agent died: ${a.stderr().slice(-2000)}`).toBe(false);
    const stats = await Promise.all(live.map(consumerStats));
    const { rows, keys } = await stored(db);
    const missing: string[] = [];
    for (let a = 0; a < AGENTS; a++)
      for (let s = 0; s < TOTAL; s++) if (!keys.has(`a${a}/${s}`)) missing.push(`a${a}/${s}`);
    const redelivered = stats.reduce((n, s) => n + s.redelivered, before.redelivered);
    const spooled = stats.reduce((n, s) => n + s.spooled, 0) + before.spooled;
    console.log(
      `kafka scale-out: produced ${expected}, in InfluxDB ${rows} rows (${keys.size} distinct), missing ${missing.length}, ` +
        `read again and dropped by the collectors ${redelivered}, spooled ${spooled} (at least; the killed collector's ` +
        `count after its last scrape is unknown), duplicates spooled ≥ ${Math.max(0, spooled - expected)}, ` +
        `counted by the collectors (the restarted one from the killed one's ledger): ${stats.reduce((n, s) => n + s.certain, 0)} certain + ` +
        `${stats.reduce((n, s) => n + s.uncertain, 0)} uncertain, ` +
        `rebalances ${stats.map((s) => s.rebalances).join('/')}, partitions ${stats.map((s) => s.owned).join('/')}`,
    );
    expect(missing.slice(0, 20), `${missing.length} metrics lost`).toEqual([]);
    expect(keys.size).toBe(expected);
    expect(rows).toBe(expected);

    for (const c of live) c.proc.child.kill('SIGTERM');
    for (const c of live) expect(await c.proc.exited, c.proc.stderr().slice(-2000)).toBe(0);
  });
});
