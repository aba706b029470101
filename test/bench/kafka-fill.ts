/**
 * Fills a Kafka topic with bench corpus line protocol before a consumer scenario starts: a
 * separate process (started by test/bench/kafka.ts), so the produce never shares a process with
 * the bench or the agent. Each message carries --lines lines (like a batching producer, e.g.
 * Telegraf's kafka output with batch mode), messages go round-robin over the topic's partitions.
 * The payloads cycle over a pool of pre-built corpus batches (by default 160,000 lines: nearly
 * every one of the corpus's 162,000 series once per round, like a fleet's interval), stamped once
 * with the current time.
 *
 * Two producers: @platformatic/kafka (the client VIVA uses; several produce requests in flight)
 * or kcat (librdkafka, fed over stdin with a record-separator delimiter).
 *
 *   node test/bench/kafka-fill.ts --topic t --partitions 4 --messages 20000 --lines 1000 --with kcat
 *
 * Prints one JSON line: messages, metrics, bytes, seconds.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { Producer, ProduceAcks } from '@platformatic/kafka';
import { buildBatches, nowDigits, stamp } from './corpus.ts';

const { values: a } = parseArgs({
  options: {
    brokers: { type: 'string', default: '127.0.0.1:9092' },
    topic: { type: 'string' },
    partitions: { type: 'string', default: '4' },
    messages: { type: 'string' },
    lines: { type: 'string', default: '1000' },
    compression: { type: 'string', default: 'lz4' },
    with: { type: 'string', default: 'kcat' },
    'pool-lines': { type: 'string', default: '160000' },
  },
});
if (a.topic === undefined || a.messages === undefined) throw new Error('--topic and --messages are required');
const topic = a.topic;
const brokers = a.brokers.split(',');
const partitions = Number(a.partitions);
const messages = Number(a.messages);
const compression = a.compression as 'none' | 'lz4' | 'snappy' | 'gzip';

const lines = Number(a.lines);
const pool = buildBatches(Math.min(Math.ceil(Number(a['pool-lines']) / lines), messages), lines, {
  hosts: 20_000,
  seed: 7,
  strings: true,
  points: 1,
});
const digits = nowDigits();
for (const b of pool) stamp(b, digits);

/** Record separator: never in line protocol, so kcat splits the stream into our messages. */
const RS = 0x1e;

async function withKcat(): Promise<number> {
  const args = ['-P', '-q', '-b', brokers.join(','), '-t', topic, '-D', '\\x1e', '-X', 'acks=1'];
  args.push('-X', 'linger.ms=20', '-X', 'batch.size=1000000', '-X', 'queue.buffering.max.kbytes=262144');
  if (compression !== 'none') args.push('-z', compression);
  const child = spawn('kcat', args, { stdio: ['pipe', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = once(child, 'exit');
  const sep = Buffer.from([RS]);
  let bytes = 0;
  for (let i = 0; i < messages; i++) {
    const data = pool[i % pool.length].data;
    bytes += data.length;
    const ok = child.stdin.write(data);
    // The last message needs no delimiter (kcat sends what is left at end of input).
    const ok2 = i === messages - 1 || child.stdin.write(sep);
    if (!ok || !ok2) await once(child.stdin, 'drain');
  }
  child.stdin.end();
  const [code] = (await exited) as [number | null];
  if (code !== 0) throw new Error(`kcat -P exited with ${String(code)}: ${err}`);
  return bytes;
}

async function withPlatformatic(): Promise<number> {
  const producer = new Producer({
    clientId: 'viva-bench-fill',
    bootstrapBrokers: brokers,
    acks: ProduceAcks.LEADER,
    compression,
    autocreateTopics: false,
  });
  // Per request: a few messages per partition (one record batch each, under 1 MB compressed).
  const perRequest = partitions * 4;
  const inFlight = 4;
  let next = 0;
  let bytes = 0;
  const worker = async (): Promise<void> => {
    while (next < messages) {
      const msgs = [];
      for (let j = 0; j < perRequest && next < messages; j++, next++) {
        const data = pool[next % pool.length].data;
        bytes += data.length;
        msgs.push({ topic, value: data, partition: next % partitions });
      }
      await producer.send({ messages: msgs });
    }
  };
  try {
    await Promise.all(Array.from({ length: inFlight }, worker));
  } finally {
    await producer.close();
  }
  return bytes;
}

const t0 = performance.now();
const bytes = a.with === 'kcat' ? await withKcat() : await withPlatformatic();
const seconds = (performance.now() - t0) / 1000;
process.stdout.write(
  JSON.stringify({
    with: a.with,
    messages,
    metrics: messages * lines,
    bytes,
    seconds: Number(seconds.toFixed(2)),
    metrics_per_s: Math.round((messages * lines) / seconds),
  }) + '\n',
);
