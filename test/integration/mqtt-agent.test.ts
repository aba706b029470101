/**
 * End to end through the real agent: mosquitto_pub publishes line protocol with QoS 1, `viva
 * agent` consumes it (mqtt_consumer, persistent session) and publishes it again (mqtt output) to
 * another topic, read with mosquitto_sub. The agent is killed with SIGKILL mid-stream and started
 * again with the same client id: the broker sends what was never acknowledged again, so no message
 * is lost; the ones delivered twice are counted.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, startViva, tempDir, type VivaProcess } from '../helpers/viva.ts';
import { broker, mosquittoPub, mosquittoSub, uniquePrefix, type Subscription } from './support/mqtt.ts';

const running: VivaProcess[] = [];
const subscriptions: Subscription[] = [];
afterEach(() => {
  for (const p of running.splice(0))
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  for (const s of subscriptions.splice(0)) s.stop();
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function agentConfig(o: { prefix: string; clientId: string; port: number; dir: string }): string {
  return `[agent]
flush_interval = "100ms"
metric_batch_size = 200
http_listen = "127.0.0.1:${o.port}"
data_dir = "${o.dir}"
omit_hostname = true
watch_config = false

[[inputs.mqtt_consumer]]
servers = ["${broker().url}"]
topics = ["${o.prefix}/in/#"]
qos = 1
protocol_version = "5"
persistent_session = true
client_id = "${o.clientId}"
topic_tag = ""

[[outputs.mqtt]]
servers = ["${broker().url}"]
topic = "${o.prefix}/out/{tag:room}"
qos = 1
`;
}

function startAgent(config: string, dir: string, run: number): VivaProcess {
  const file = path.join(dir, `agent-${run}.toml`);
  fs.writeFileSync(file, config);
  const p = startViva(['agent', '-c', file]);
  running.push(p);
  return p;
}

/** The seq fields of what the subscriber received. */
const seqsOf = (sub: Subscription): number[] =>
  sub.received().map((m) => Number(/seq=(\d+)i/.exec(m.payload)?.[1]));

/** Waits until `done`; fails at once, with its log, if the agent exits. */
async function until(
  agent: VivaProcess,
  done: () => boolean,
  what: string,
  timeoutMs: number,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (agent.child.exitCode !== null)
      throw new Error(
        `the agent exited (${agent.child.exitCode}) before ${what}:\n${agent.stderr().slice(-3000)}`,
      );
    if (done()) return;
    if (Date.now() > end)
      throw new Error(`timed out waiting for ${what}; agent log:\n${agent.stderr().slice(-3000)}`);
    await sleep(50);
  }
}

describe('mqtt through the agent', () => {
  it('should lose no QoS 1 message when the agent is killed mid-stream and started again', async () => {
    const prefix = uniquePrefix('e2e');
    const dir = tempDir();
    const base = { prefix, clientId: `viva-e2e-${prefix.split('/')[1]}`, dir };
    const total = 3000;
    const sub = await mosquittoSub(`${prefix}/out/#`, total * 2, 120);
    subscriptions.push(sub);
    const line = (seq: number): string =>
      `room,room=r${seq % 5} seq=${seq}i,temp=${20 + seq / 100} ${1_700_000_000_000_000_000n + BigInt(seq)}`;
    const publish = async (from: number, to: number): Promise<void> => {
      for (let s = from; s < to; s += 100) {
        await mosquittoPub(
          `${prefix}/in/a`,
          Array.from({ length: Math.min(100, to - s) }, (_, i) => line(s + i)),
          1,
        );
        await sleep(20);
      }
    };

    const first = startAgent(agentConfig({ ...base, port: await freePort() }), dir, 1);
    // Once subscribed, the persistent session keeps everything published for it.
    await until(first, () => first.stderr().includes('"msg":"mqtt subscribed"'), 'the subscription', 30_000);
    // The stream goes on while the agent is killed and while no agent runs.
    const publishing = publish(0, total);
    await until(
      first,
      () => new Set(seqsOf(sub)).size >= 500,
      'the first agent forwarded a part of the stream',
      60_000,
    );
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    const beforeRestart = new Set(seqsOf(sub)).size;
    await sleep(500);
    const second = startAgent(agentConfig({ ...base, port: await freePort() }), dir, 2);
    await publishing;
    await until(second, () => new Set(seqsOf(sub)).size === total, `all ${total} messages forwarded`, 60_000);
    await sleep(500);
    const seqs = seqsOf(sub);
    console.log(
      `mqtt e2e: ${total} messages, ${beforeRestart} forwarded before the kill, ${seqs.length - total} forwarded twice`,
    );
    expect(new Set(seqs).size).toBe(total);
    expect(Math.min(...seqs)).toBe(0);
    expect(Math.max(...seqs)).toBe(total - 1);

    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });
});
