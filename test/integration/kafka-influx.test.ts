/**
 * End to end through the real agent: a producer outside VIVA (kcat) writes line protocol to Kafka,
 * `viva agent` consumes it (kafka_consumer) and writes it to InfluxDB (influxdb output), and the
 * rows are read back with /query. The agent is killed with SIGKILL mid-stream and started again:
 * no message is lost, because offsets are committed only after InfluxDB has the batch; the
 * messages read again after the restart are the duplicates, counted here.
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, startViva, tempDir, type VivaProcess } from '../helpers/viva.ts';
import { dropDatabase, influxQuery, influxUrl, uniqueDatabase } from './support/influx.ts';
import { brokers, createTopic, uniqueTopic } from './support/kafka.ts';

const running: VivaProcess[] = [];
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const p of running.splice(0))
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  for (const c of cleanup.splice(0)) await c();
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The agent config: one kafka_consumer, one influxdb output; `run` tags what each agent run wrote. */
function agentConfig(o: {
  topic: string;
  group: string;
  db: string;
  port: number;
  dir: string;
  run: number;
}): string {
  return `[agent]
flush_interval = "200ms"
metric_batch_size = 500
http_listen = "127.0.0.1:${o.port}"
data_dir = "${o.dir}"
omit_hostname = true
watch_config = false

[[inputs.kafka_consumer]]
brokers = ${JSON.stringify(brokers())}
topics = ["${o.topic}"]
consumer_group = "${o.group}"
session_timeout = "6s"
heartbeat_interval = "1s"
max_undelivered_messages = 2000
tags = { run = "${o.run}" }

[[outputs.influxdb]]
urls = ["${influxUrl()}"]
database = "${o.db}"
`;
}

function startAgent(config: string, dir: string, run: number): VivaProcess {
  const file = path.join(dir, `agent-${run}.toml`);
  fs.writeFileSync(file, config);
  const p = startViva(['agent', '-c', file]);
  running.push(p);
  return p;
}

/** A kcat producer fed line by line, so the stream can go on while the agent is killed. */
function streamProducer(topic: string): { send(lines: string[]): void; end(): Promise<void> } {
  const child = spawn(
    'kcat',
    ['-P', '-b', brokers().join(','), '-t', topic, '-X', 'acks=all', '-X', 'linger.ms=5'],
    { stdio: ['pipe', 'ignore', 'inherit'] },
  );
  const exited = new Promise<void>((resolve, reject) =>
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`kcat exited with ${String(code)}`)),
    ),
  );
  return {
    send: (lines) => void child.stdin.write(lines.join('\n') + '\n'),
    end: async () => {
      child.stdin.end();
      await exited;
    },
  };
}

/** Rows stored so far: all of them (duplicates included, as each run tags its own) and distinct seq. */
async function stored(db: string): Promise<{ rows: number; distinct: number }> {
  const rows = await influxQuery('SELECT count("seq") FROM "e2e"', db).catch(() => []);
  const distinct = await influxQuery('SELECT count(distinct("seq")) FROM "e2e"', db).catch(() => []);
  return { rows: Number(rows[0]?.values[0][1] ?? 0), distinct: Number(distinct[0]?.values[0][1] ?? 0) };
}

/** Waits until the stored rows satisfy `done`; fails at once, with its log, if the agent exits. */
async function untilStored(
  agent: VivaProcess,
  db: string,
  done: (s: { rows: number; distinct: number }) => boolean,
  what: string,
  timeoutMs: number,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (agent.child.exitCode !== null)
      throw new Error(
        `the agent exited (${agent.child.exitCode}) before ${what}:\n${agent.stderr().slice(-3000)}`,
      );
    if (done(await stored(db))) return;
    if (Date.now() > until)
      throw new Error(`timed out waiting for ${what}; agent log:\n${agent.stderr().slice(-3000)}`);
    await sleep(50);
  }
}

describe('kafka to influxdb through the agent', () => {
  it('should lose no message when the agent is killed mid-stream and started again', async () => {
    const topic = uniqueTopic('viva-e2e');
    const db = uniqueDatabase('viva_e2e');
    cleanup.push(() => dropDatabase(db));
    await createTopic(topic, 3);
    const dir = tempDir();
    const base = { topic, group: `${topic}-g`, db, dir };
    const total = 20_000;
    const line = (seq: number): string =>
      `e2e,host=h${seq % 10} seq=${seq}i,value=${seq / 4} ${1_700_000_000_000_000_000n + BigInt(seq)}`;

    const producer = streamProducer(topic);
    let sent = 0;
    const produce = async (upTo: number): Promise<void> => {
      while (sent < upTo) {
        const n = Math.min(200, upTo - sent);
        producer.send(Array.from({ length: n }, (_, i) => line(sent + i)));
        sent += n;
        await sleep(10);
      }
    };

    const first = startAgent(agentConfig({ ...base, port: await freePort(), run: 1 }), dir, 1);
    await produce(total / 2);
    await untilStored(
      first,
      db,
      (st) => st.distinct >= 4000,
      'the first agent wrote a part of the stream',
      60_000,
    );
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    const beforeRestart = await stored(db);

    // The stream goes on while no agent runs.
    const rest = produce(total);
    const second = startAgent(agentConfig({ ...base, port: await freePort(), run: 2 }), dir, 2);
    await rest;
    await producer.end();
    await untilStored(
      second,
      db,
      (st) => st.distinct === total,
      `all ${total} messages are in InfluxDB`,
      90_000,
    );
    await sleep(1000);
    const after = await stored(db);
    const duplicates = after.rows - after.distinct;
    console.log(
      `kafka -> influxdb e2e: ${total} messages, ${beforeRestart.distinct} stored before the kill, ${duplicates} read again after the restart (duplicates)`,
    );
    expect(after.distinct).toBe(total);
    expect(duplicates).toBeGreaterThanOrEqual(0);

    // Exact values and nanosecond timestamps made it through.
    const sample = await influxQuery(
      'SELECT "seq", "value" FROM "e2e" WHERE "host" = \'h7\' AND "run" = \'2\' ORDER BY time DESC LIMIT 1',
      db,
    );
    const [time, seq, value] = sample[0].values[0] as string[];
    expect(BigInt(time)).toBe(1_700_000_000_000_000_000n + BigInt(seq));
    expect(Number(value)).toBe(Number(seq) / 4);

    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });
});
