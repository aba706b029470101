/**
 * Fault suite: `kill -9` of a real `viva agent` with a disk buffer at seeded random moments, while
 * a load generator POSTs line protocol to its http_listener. Oracle: every line the listener
 * acknowledged (204) reaches the sink at least once (duplicates are counted and reported), no line
 * arrives that was never sent, and the agent never exits unless killed.
 *
 * VIVA_FAULT_SEED replays a run; VIVA_FAULT_RUNS sets how many kills per scenario (default 8).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { seqOf, startSink, type Sink } from '../helpers/sink.ts';
import { freePort, tempDir, waitFor, type VivaProcess } from '../helpers/viva.ts';
import {
  generate,
  newLoad,
  prng,
  report as oracle,
  runs,
  seed,
  startAgent,
  type Load,
  ended,
  ending,
} from './load.ts';

const running: VivaProcess[] = [];
const sinks: Sink[] = [];
afterEach(async () => {
  for (const p of running.splice(0)) if (!ended(p)) p.child.kill('SIGKILL');
  for (const s of sinks.splice(0)) await s.close();
});

function config(dir: string, listen: number, sinkPort: number): string {
  return `[agent]
http_listen = ""
flush_interval = "100ms"
data_dir = "${dir}"
omit_hostname = true

[[inputs.http_listener]]
service_address = "127.0.0.1:${listen}"

[[outputs.http]]
url = "http://127.0.0.1:${sinkPort}/write"
buffer_strategy = "disk"
retry_initial_backoff = "20ms"
retry_max_backoff = "100ms"
`;
}

function start(file: string, listen: number): Promise<VivaProcess> {
  return startAgent(file, listen, running);
}

function report(sink: Sink, load: Load): ReturnType<typeof oracle> {
  return oracle(sink.lines, load);
}

/** N kills at random moments; with `outage`, the sink answers 503 from before each kill until after the restart. */
async function scenario(outage: boolean, seedOf: number): Promise<void> {
  const rnd = prng(seedOf);
  const dir = tempDir('viva-faults-');
  const sink = await startSink();
  sinks.push(sink);
  const listen = await freePort();
  const file = path.join(dir, 'agent.toml');
  fs.writeFileSync(file, config(dir, listen, sink.port));
  const load = newLoad();

  for (let run = 0; run < runs; run++) {
    const p = await start(file, listen);
    sink.failWith = null;
    const outageAt = Date.now() + Math.floor(rnd() * 600);
    const killAt = outageAt + 100 + Math.floor(rnd() * 1000);
    const gens = [0, 1].map(() => generate(listen, load, rnd, () => ended(p)));
    if (outage) {
      await waitFor(() => Date.now() >= outageAt, 'the outage moment');
      sink.failWith = 503;
    }
    await waitFor(() => Date.now() >= killAt || ended(p), 'the kill moment');
    expect(ending(p), `the agent died on its own: ${p.stderr().slice(-2000)}`).toBeNull();
    p.child.kill('SIGKILL');
    expect(await p.exited).toBe('SIGKILL');
    await Promise.all(gens);
  }

  // A last run with the sink up: keep sending a little, then stop cleanly.
  sink.failWith = null;
  const last = await start(file, listen);
  let done = false;
  const gen = generate(listen, load, rnd, () => done);
  const before = sink.lines.length;
  await waitFor(() => sink.lines.length > before, 'some delivery after the last restart');
  done = true;
  await gen;
  // Waits (bounded) for the acknowledged metrics so the report below names what is missing.
  await waitFor(() => report(sink, load).missing.length === 0, 'every acknowledged metric', 30_000).catch(
    () => undefined,
  );
  last.child.kill('SIGTERM');
  expect(await last.exited).toBe(0);

  const r = report(sink, load);
  console.log(
    `fault suite${outage ? ' (outage)' : ''} (seed ${seedOf}, ${runs} kills): sent ${load.sent.size}, ` +
      `acknowledged ${load.acked.size}, delivered ${new Set(seqOf(sink.lines)).size}, ` +
      `duplicates ${r.duplicates}, missing ${r.missing.length}, unknown ${r.unknown.length}`,
  );
  expect(r.unknown).toEqual([]);
  expect(r.missing.slice(0, 20), `${r.missing.length} acknowledged metrics lost`).toEqual([]);
}

describe('fault suite', () => {
  it(`should deliver every acknowledged metric across ${runs} kill -9 of the agent (seed ${seed})`, () =>
    scenario(false, seed));

  it(`should deliver every acknowledged metric when the agent is killed during a destination outage (seed ${seed + 1})`, () =>
    scenario(true, seed + 1));
});
