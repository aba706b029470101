/**
 * Kafka helpers for the integration tests: topics with a chosen partition count, and kcat as the
 * producer and consumer outside VIVA.
 */
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { Admin, Producer, compatibilityPartitioner } from '@platformatic/kafka';
import { serviceAddresses } from '../../setup/services.ts';

const run = promisify(execFile);

/** The broker list of the test Kafka. */
export const brokers = (): string[] => serviceAddresses().kafkaBrokers;

/** A topic name no other test uses. */
export function uniqueTopic(prefix: string): string {
  return `${prefix}-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
}

/** Creates a topic with `partitions` partitions (auto-created topics only get one). */
export async function createTopic(topic: string, partitions: number): Promise<void> {
  const admin = new Admin({ clientId: 'viva-test-admin', bootstrapBrokers: brokers() });
  try {
    await admin.createTopics({ topics: [topic], partitions, replicas: 1 });
  } finally {
    await admin.close();
  }
}

/** Produces one message per line with kcat (`key|value` lines when `keyed`). */
export async function kcatProduce(
  topic: string,
  lines: string[],
  opts: { keyed?: boolean } = {},
): Promise<void> {
  const args = ['-P', '-b', brokers().join(','), '-t', topic, '-X', 'acks=all'];
  if (opts.keyed === true) args.push('-K', '|');
  await new Promise<void>((resolve, reject) => {
    const child = spawn('kcat', args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`kcat -P exited with ${String(code)}: ${err}`)),
    );
    child.stdin.end(lines.join('\n') + '\n');
  });
}

/** One message as kcat reads it back. */
export interface KcatMessage {
  partition: number;
  key: string;
  value: string;
}

/** Reads a whole topic from the beginning with kcat. */
export async function kcatConsume(topic: string): Promise<KcatMessage[]> {
  // Each message as: partition, key length, key, value length, value — robust against newlines in values.
  const { stdout } = await run(
    'kcat',
    ['-C', '-b', brokers().join(','), '-t', topic, '-e', '-o', 'beginning', '-q', '-f', '%p %K %k%S %s'],
    { maxBuffer: 256 * 1024 * 1024, encoding: 'buffer' },
  );
  const out: KcatMessage[] = [];
  const bytes = stdout;
  let pos = 0;
  const number = (): number => {
    const end = bytes.indexOf(0x20, pos);
    const n = Number(bytes.toString('latin1', pos, end));
    pos = end + 1;
    return n;
  };
  while (pos < bytes.length) {
    const partition = number();
    const keyLen = number();
    const key = keyLen < 0 ? '' : bytes.toString('utf8', pos, pos + keyLen);
    pos += Math.max(0, keyLen);
    const valueLen = number();
    out.push({ partition, key, value: bytes.toString('utf8', pos, pos + valueLen) });
    pos += valueLen;
  }
  return out;
}

/** One record to produce with its own timestamp (epoch ms), keyed (partitioned) by `key`. */
export interface TimedRecord {
  key: string;
  value: string;
  timestampMs: number;
}

/** Produces records with explicit record timestamps (CreateTime), acks=all, in chunks. */
export async function produceTimed(
  topic: string,
  records: TimedRecord[],
  bootstrap = brokers(),
): Promise<void> {
  const producer = new Producer({
    clientId: 'viva-test-producer',
    bootstrapBrokers: bootstrap,
    partitioner: compatibilityPartitioner,
  });
  try {
    for (let i = 0; i < records.length; i += 500)
      await producer.send({
        messages: records.slice(i, i + 500).map((r) => ({
          topic,
          key: Buffer.from(r.key),
          value: Buffer.from(r.value),
          timestamp: BigInt(r.timestampMs),
        })),
      });
  } finally {
    await producer.close();
  }
}
