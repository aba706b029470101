/**
 * Fault suite, Kafka: the broker restarts under load while a real `viva agent` produces to it with
 * the kafka output (disk buffer). The broker is the suite's own (scripts/services.sh with a private
 * scratch dir and ports), so restarting it disturbs no other test. Oracle: every line the
 * http_listener acknowledged is in the topic at least once (duplicates counted and printed), no
 * unknown line, the agent never exits until the final SIGTERM, which exits 0.
 * Second scenario, the consuming side: an agent produces a fixed number of generated metrics to the
 * private broker while two collectors consume them as one group (kafka_consumer into the spool,
 * then an HTTP sink); the broker restarts mid-stream. Oracle: the sink ends with every metric
 * produced (duplicates counted and printed), the collectors never exit.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Admin } from '@platformatic/kafka';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startViva, tempDir, waitFor, type VivaProcess } from '../helpers/viva.ts';
import { collectorConfig, startCollector, type CollectorHandle } from '../helpers/collector.ts';
import { seqOf, startSink, type Sink } from '../helpers/sink.ts';
import { generate, newLoad, prng, report, runs, seed, startAgent, summary, ended, ending } from './load.ts';

const run = promisify(execFile);
const script = path.join(import.meta.dirname, '..', '..', 'scripts', 'services.sh');
const scratch = tempDir('viva-faults-kafka-');
let env: NodeJS.ProcessEnv = {};
let broker = '';

/** scripts/services.sh on the private broker. */
async function services(cmd: 'up' | 'down' | 'restart'): Promise<void> {
  await run('bash', [script, cmd, 'kafka'], { env, timeout: 300_000 });
}

beforeAll(async () => {
  const [port, controller] = [await freePort(), await freePort()];
  env = {
    ...process.env,
    VIVA_SERVICES_DIR: path.join(scratch, 'services'),
    VIVA_KAFKA_PORT: String(port),
    VIVA_KAFKA_CONTROLLER_PORT: String(controller),
  };
  broker = `127.0.0.1:${port}`;
  await services('up');
}, 300_000);

afterAll(async () => {
  await services('down');
  fs.rmSync(scratch, { recursive: true, force: true });
}, 120_000);

const running: VivaProcess[] = [];
const sinks: Sink[] = [];
afterEach(async () => {
  for (const s of sinks.splice(0)) await s.close();
  const agents = running.splice(0);
  for (const p of agents) if (!ended(p)) p.child.kill('SIGKILL');
  for (const p of agents) await p.exited;
});

/** Every message value of a topic, read from the beginning with kcat, as lines. */
async function topicLines(topic: string): Promise<string[]> {
  const { stdout } = await run(
    'kcat',
    ['-C', '-b', broker, '-t', topic, '-e', '-o', 'beginning', '-q', '-f', '%s\n'],
    {
      maxBuffer: 256 * 1024 * 1024,
    },
  );
  return stdout.split('\n').filter((l) => l !== '');
}

describe('fault suite: kafka', () => {
  const rounds = Math.max(2, Math.ceil(runs / 4));
  it(`should deliver every acknowledged metric to Kafka across ${rounds} broker restarts under load (seed ${seed + 4})`, async () => {
    const rnd = prng(seed + 4);
    const dir = tempDir('viva-faults-');
    const listen = await freePort();
    const topic = `viva-faults-${seed}`;
    const file = path.join(dir, 'agent.toml');
    fs.writeFileSync(
      file,
      `[agent]\nflush_interval = "100ms"\nhttp_listen = ""\ndata_dir = "${dir}"\nomit_hostname = true\n\n` +
        `[[inputs.http_listener]]\nservice_address = "127.0.0.1:${listen}"\n\n` +
        `[[outputs.kafka]]\nbrokers = ["${broker}"]\ntopic = "${topic}"\nbuffer_strategy = "disk"\n` +
        `connect_timeout = "2s"\nrequest_timeout = "5s"\n` +
        `retry_initial_backoff = "50ms"\nretry_max_backoff = "500ms"\n`,
    );
    const load = newLoad();
    const agent = await startAgent(file, listen, running);
    let stopped = false;
    const gens = [0, 1].map(() => generate(listen, load, rnd, () => stopped || ended(agent)));
    for (let r = 0; r < rounds; r++) {
      const at = Date.now() + 300 + rnd() * 1500;
      await waitFor(() => Date.now() >= at || ended(agent), 'the restart moment');
      await services('restart');
      expect(ending(agent), `the agent died: ${agent.stderr().slice(-2000)}`).toBeNull();
      const acked = load.acked.size;
      await waitFor(() => load.acked.size > acked, 'writes acknowledged after the restart', 60_000);
    }
    stopped = true;
    await Promise.all(gens);
    let lines: string[] = [];
    await waitFor(
      async () => {
        lines = await topicLines(topic);
        return report(lines, load).missing.length === 0;
      },
      'every acknowledged metric in the topic',
      90_000,
      1000,
    ).catch(() => undefined);
    expect(ending(agent), `the agent died on its own: ${agent.stderr().slice(-2000)}`).toBeNull();
    agent.child.kill('SIGTERM');
    expect(await agent.exited, agent.stderr().slice(-2000)).toBe(0);
    const r = report(lines, load);
    console.log(summary(`kafka output (${rounds} broker restarts)`, load, r));
    expect(r.unknown).toEqual([]);
    expect(r.missing.slice(0, 20), `${r.missing.length} acknowledged metrics lost`).toEqual([]);
    expect(load.acked.size).toBeGreaterThan(0);
  });

  it(`should lose nothing a consumer group of collectors reads when the broker restarts mid-stream (seed ${seed + 5})`, async () => {
    const total = 6000;
    const dir = tempDir('viva-faults-kafka-consume-');
    const topic = `viva-faults-consume-${seed}`;
    const group = `${topic}-collectors`;
    const sink = await startSink();
    sinks.push(sink);
    const admin = new Admin({ clientId: 'viva-test-admin', bootstrapBrokers: [broker] });
    await admin.createTopics({ topics: [topic], partitions: 3, replicas: 1 }).finally(() => admin.close());
    const collectors: CollectorHandle[] = [];
    for (const name of ['c1', 'c2']) {
      const cdir = path.join(dir, name);
      fs.mkdirSync(cdir, { recursive: true });
      const cfg = await collectorConfig(
        cdir,
        `[[inputs.kafka_consumer]]\nbrokers = ["${broker}"]\ntopics = ["${topic}"]\nconsumer_group = "${group}"\n` +
          `session_timeout = "6s"\non_undelivered = "reread"\nheartbeat_interval = "1s"\nconnect_timeout = "2s"\nrequest_timeout = "5s"\n\n` +
          `[[routes]]\nname = "all"\ndestinations = ["sink"]\n\n[[destinations]]\nname = "sink"\noutputs = ["http-sink"]\n\n` +
          `[[outputs.http]]\nalias = "http-sink"\nurl = "http://127.0.0.1:${sink.port}/write"\ndata_format = "influx"\n`,
        { collector: 'spool_fsync = "always"', agent: 'omit_hostname = true' },
      );
      const c = await startCollector(cfg);
      running.push(c.proc);
      collectors.push(c);
    }
    const file = path.join(dir, 'agent.toml');
    fs.writeFileSync(
      file,
      `[agent]\nflush_interval = "100ms"\nhttp_listen = ""\ndata_dir = "${dir}"\nomit_hostname = true\n\n` +
        `[[inputs.generator]]\nname = "fault"\nseries = 7\ntag_count = 1\nfield_count = 1\nrate = 200\nbatch_size = 50\ntotal = ${total}\n\n` +
        `[[outputs.kafka]]\nbrokers = ["${broker}"]\ntopic = "${topic}"\nbuffer_strategy = "disk"\n` +
        `connect_timeout = "2s"\nrequest_timeout = "5s"\nretry_initial_backoff = "50ms"\nretry_max_backoff = "500ms"\n`,
    );
    const agent = startViva(['agent', '-c', file]);
    running.push(agent);
    const delivered = (): Set<number> => new Set(seqOf(sink.lines.filter((l) => l.startsWith('fault,'))));
    const logs = (): string =>
      [agent, ...collectors.map((c) => c.proc)].map((p) => p.stderr().slice(-1500)).join('\n---\n');
    await waitFor(
      () => delivered().size >= total / 4 || ended(agent),
      'a quarter of the stream at the sink',
      120_000,
      200,
    ).catch((e: unknown) => {
      throw new Error(`${String(e)}\n${logs()}`);
    });
    expect(ending(agent), `the agent died: ${logs()}`).toBeNull();
    await services('restart');
    for (const c of collectors)
      expect(ending(c.proc), `a collector died: ${c.proc.stderr().slice(-2000)}`).toBeNull();
    await waitFor(() => delivered().size >= total, `all ${total} metrics at the sink`, 180_000, 500).catch(
      () => undefined,
    );
    const seen = delivered();
    const missing = Array.from({ length: total }, (_, i) => i).filter((i) => !seen.has(i));
    const lines = sink.lines.filter((l) => l.startsWith('fault,')).length;
    console.log(
      `kafka consumer group (broker restart): produced ${total}, delivered ${seen.size}, duplicates ${lines - seen.size}, missing ${missing.length}`,
    );
    expect(ending(agent), `the agent died: ${agent.stderr().slice(-2000)}`).toBeNull();
    for (const c of collectors) expect(ending(c.proc), c.proc.stderr().slice(-2000)).toBeNull();
    expect(missing.slice(0, 20), `${missing.length} metrics lost`).toEqual([]);
    expect([...seen].every((s) => s < total)).toBe(true);
    for (const c of collectors) c.proc.child.kill('SIGTERM');
    for (const c of collectors) expect(await c.proc.exited, c.proc.stderr().slice(-2000)).toBe(0);
  });
});
