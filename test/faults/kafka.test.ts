/**
 * Fault suite, Kafka: the broker restarts under load while a real `viva agent` produces to it with
 * the kafka output (disk buffer). The broker is the suite's own (scripts/services.sh with a private
 * scratch dir and ports), so restarting it disturbs no other test. Oracle: every line the
 * http_listener acknowledged is in the topic at least once (duplicates counted and printed), no
 * unknown line, the agent never exits until the final SIGTERM, which exits 0.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort, tempDir, waitFor, type VivaProcess } from '../helpers/viva.ts';
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
afterEach(async () => {
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
});
