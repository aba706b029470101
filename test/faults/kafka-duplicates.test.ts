/**
 * Fault suite, Kafka duplicates after a crash are counted: the test produces uniquely numbered
 * metrics (one per message) to a 3-partition topic of the shared broker (scripts/services.sh) while
 * a real `viva collector` consumes it (kafka_consumer, offsets committed once the batch is in the
 * spool, fsync "always") and is killed with SIGKILL several times mid-stream, each time restarted
 * on the same data directory. Its destination (a local HTTP sink) refuses everything until the
 * last restart, so the spool delivers each record it holds exactly once at the end: every line the
 * sink receives beyond the produced ones is a duplicate the group read again after a kill.
 *
 * Oracle: every produced metric arrives, and the duplicates observed lie between what the restarted
 * collectors counted for sure (kafka_uncommitted_spooled_messages) and that plus what they counted
 * as uncertain (kafka_uncertain_duplicate_messages: a commit or a spool write in flight at the
 * kill, which Kafka cannot tell apart afterwards). The group has one member, so each restart
 * compares with the offsets the dead run left (nobody moves them in between).
 */
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Admin, Producer, ProduceAcks } from '@platformatic/kafka';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { serviceAddresses } from '../setup/services.ts';
import { collectorConfig, startCollector, type CollectorHandle } from '../helpers/collector.ts';
import { startSink, seqOf, type Sink } from '../helpers/sink.ts';
import { counterValue, scrape, tempDir, waitFor, type VivaProcess } from '../helpers/viva.ts';
import { ended, prng, seed } from './load.ts';

const run = promisify(execFile);
const script = path.join(import.meta.dirname, '..', '..', 'scripts', 'services.sh');
const PARTITIONS = 3;
/** Messages per send, and the pause between sends (about 1000 a second). */
const PER_SEND = 20;
const PAUSE_MS = 20;
const KILLS = 3;

const brokers = (): string[] => serviceAddresses().kafkaBrokers;

beforeAll(async () => {
  await run('bash', [script, 'up', 'kafka'], { timeout: 900_000 });
}, 900_000);

const procs: VivaProcess[] = [];
const sinks: Sink[] = [];
afterEach(async () => {
  for (const p of procs.splice(0)) {
    if (!ended(p)) p.child.kill('SIGKILL');
    await p.exited;
  }
  for (const s of sinks.splice(0)) await s.close();
});
afterAll(() => undefined);

async function stats(c: CollectorHandle): Promise<Record<string, number>> {
  const text = await scrape(c.admin);
  return {
    owned: counterValue(text, 'viva_input_kafka_consumer_kafka_partitions_owned'),
    gathered: counterValue(text, 'viva_input_gathered_total', { plugin: 'kafka_consumer' }),
    certain: counterValue(text, 'viva_input_kafka_consumer_kafka_uncommitted_spooled_messages_total'),
    uncertain: counterValue(text, 'viva_input_kafka_consumer_kafka_uncertain_duplicate_messages_total'),
    lag: counterValue(text, 'viva_input_kafka_consumer_kafka_lag_messages'),
    unsent: counterValue(text, 'viva_collector_destination_lag_records'),
  };
}

describe('fault suite: kafka duplicates after a crash', () => {
  it(`should count the records read again after kill -9 of a collector (seed ${seed})`, async () => {
    const rnd = prng(seed);
    const topic = `viva-dup-${seed}-${Date.now()}`;
    const admin = new Admin({ clientId: 'viva-test-admin', bootstrapBrokers: brokers() });
    await admin
      .createTopics({ topics: [topic], partitions: PARTITIONS, replicas: 1 })
      .finally(() => admin.close());
    const sink = await startSink();
    sinks.push(sink);
    sink.failWith = 503;
    const dir = tempDir('viva-faults-dup-');
    const cfg = await collectorConfig(
      dir,
      `
[[inputs.kafka_consumer]]
brokers = ${JSON.stringify(brokers())}
topics = ["${topic}"]
consumer_group = "${topic}-collector"
session_timeout = "6s"
heartbeat_interval = "1s"
max_undelivered_messages = 500

[[routes]]
name = "all"
destinations = ["sink"]

[[destinations]]
name = "sink"
outputs = ["http-sink"]
breaker = { failures = 1, open_for = "200ms", max_open_for = "1s" }

[[outputs.http]]
alias = "http-sink"
url = "http://127.0.0.1:${sink.port}/write"
data_format = "influx"
`,
      { collector: 'spool_fsync = "always"', agent: 'omit_hostname = true' },
    );

    // Production: small sends all along (until the last restart), so that batches and commits are
    // in flight at every kill.
    const producer = new Producer({
      clientId: 'viva-test-dup',
      bootstrapBrokers: brokers(),
      acks: ProduceAcks.LEADER,
      autocreateTopics: false,
    });
    const base = BigInt(Date.now() - 3_600_000) * 1_000_000n;
    let produced = 0;
    let producingDone = false;
    const producing = (async () => {
      while (!producingDone) {
        const messages = [];
        for (let j = 0; j < PER_SEND; j++, produced++)
          messages.push({
            topic,
            partition: produced % PARTITIONS,
            value: Buffer.from(`dup,p=${produced % PARTITIONS} seq=${produced}i ${base + BigInt(produced)}`),
          });
        await producer.send({ messages });
        await new Promise((r) => setTimeout(r, PAUSE_MS));
      }
    })().finally(() => producer.close());

    let certain = 0;
    let uncertain = 0;
    let c: CollectorHandle | undefined;
    for (let k = 0; k <= KILLS; k++) {
      c = await startCollector(cfg);
      procs.push(c.proc);
      const me = c;
      // Joined: the ledger the previous run left is counted before the first fetch.
      let s: Record<string, number> = {};
      await waitFor(
        async () => {
          s = await stats(me).catch(() => ({ owned: 0 }));
          return s.owned === PARTITIONS;
        },
        'the collector to own the partitions',
        60_000,
        200,
      );
      if (k === KILLS) break;
      certain += s.certain;
      uncertain += s.uncertain;
      // Mid-stream: a random moment after it consumed something new.
      const from = s.gathered;
      await waitFor(
        async () => (await stats(me)).gathered > from + 200,
        'the collector to consume',
        60_000,
        100,
      );
      const killAt = Date.now() + Math.floor(rnd() * 500);
      await waitFor(() => Date.now() >= killAt, 'the kill moment', 5000, 20);
      expect(ended(me.proc), `the collector died on its own: ${me.proc.stderr().slice(-2000)}`).toBe(false);
      me.proc.child.kill('SIGKILL');
      expect(await me.proc.exited).toBe('SIGKILL');
    }
    const last = c!;
    producingDone = true;
    await producing;
    const TOTAL = produced;
    const final = await stats(last);
    certain += final.certain;
    uncertain += final.uncertain;

    // The destination comes back: the spool delivers what every run spooled, once.
    sink.failWith = null;
    await waitFor(
      async () => {
        const s = await stats(last);
        return s.lag === 0 && s.unsent === 0 && new Set(seqOf(sink.lines)).size === TOTAL;
      },
      `all ${TOTAL} metrics at the sink and nothing left to send`,
      120_000,
      500,
    );
    const seqs = seqOf(sink.lines);
    const distinct = new Set(seqs).size;
    const duplicates = seqs.length - distinct;
    console.log(
      `kafka duplicates: produced ${TOTAL}, delivered ${seqs.length} (${distinct} distinct), ` +
        `duplicates ${duplicates}, counted after ${KILLS} kill -9: ${certain} certain + ${uncertain} uncertain`,
    );
    expect(distinct).toBe(TOTAL);
    expect(duplicates).toBeGreaterThanOrEqual(certain);
    expect(duplicates).toBeLessThanOrEqual(certain + uncertain);
    expect(ended(last.proc), last.proc.stderr().slice(-2000)).toBe(false);
    last.proc.child.kill('SIGTERM');
    expect(await last.proc.exited).toBe(0);
  }, 600_000);
});
