/**
 * MQTT helpers for the integration tests: mosquitto_pub and mosquitto_sub as the publisher and
 * subscriber outside VIVA.
 */
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { serviceAddresses } from '../../setup/services.ts';

const run = promisify(execFile);

/** Host and port of the test broker. */
export function broker(): { host: string; port: string; url: string } {
  const url = new URL(serviceAddresses().mqttUrl);
  return { host: url.hostname, port: url.port, url: `tcp://${url.hostname}:${url.port}` };
}

/** A topic prefix no other test uses. */
export function uniquePrefix(name: string): string {
  return `viva-test/${name}-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
}

/** Publishes each line as one message with mosquitto_pub. */
export async function mosquittoPub(topic: string, lines: string[], qos: 0 | 1 | 2 = 1): Promise<void> {
  const b = broker();
  await new Promise<void>((resolve, reject) => {
    const child = spawn('mosquitto_pub', ['-h', b.host, '-p', b.port, '-t', topic, '-q', String(qos), '-l'], {
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`mosquitto_pub exited with ${String(code)}: ${err}`)),
    );
    child.stdin.end(lines.join('\n') + '\n');
  });
}

/** One received message. */
export interface Received {
  topic: string;
  payload: string;
}

/** A running mosquitto_sub: `received()` is what arrived so far, `messages()` all once it exits. */
export interface Subscription {
  received(): Received[];
  messages(): Promise<Received[]>;
  stop(): void;
}

/**
 * Subscribes with mosquitto_sub (QoS 1), resolving once the broker confirmed the subscription, and
 * collects `count` messages. Payloads are printed in hex so a multi-line payload stays one message.
 */
export async function mosquittoSub(filter: string, count: number, timeoutSec = 20): Promise<Subscription> {
  const b = broker();
  // stdbuf: mosquitto_sub's stdout is block-buffered on a pipe, and the SUBACK line is needed now.
  const child = spawn(
    'stdbuf',
    [
      '-oL',
      'mosquitto_sub',
      '-h',
      b.host,
      '-p',
      b.port,
      '-t',
      filter,
      '-q',
      '1',
      '-C',
      String(count),
      '-W',
      String(timeoutSec),
      '-F',
      '%t %x',
      '-d',
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('mosquitto_sub did not subscribe')), 10_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('received SUBACK')) {
        clearTimeout(t);
        resolve();
      }
    });
  });
  // Only whole lines: a chunk may end in the middle of one.
  const parse = (): Received[] =>
    out
      .slice(0, out.lastIndexOf('\n') + 1)
      .split('\n')
      .filter(
        (line) =>
          !line.startsWith('Client ') && !line.startsWith('Subscribed ') && /^\S+ [0-9a-f]*$/.test(line),
      )
      .map((line) => {
        const [topic, hex] = line.split(' ');
        return { topic, payload: Buffer.from(hex, 'hex').toString('utf8') };
      });
  return {
    received: parse,
    messages: async () => {
      await exited;
      return parse();
    },
    stop: () => child.kill('SIGTERM'),
  };
}

/** Removes retained messages under a topic (cleanup). */
export async function clearRetained(topic: string): Promise<void> {
  const b = broker();
  await run('mosquitto_pub', ['-h', b.host, '-p', b.port, '-t', topic, '-r', '-n']);
}
