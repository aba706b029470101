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
import { freePort, startViva, tempDir, waitFor, type VivaProcess } from '../helpers/viva.ts';

const seed = Number(process.env.VIVA_FAULT_SEED ?? Math.floor(Math.random() * 2 ** 31));
const runs = Number(process.env.VIVA_FAULT_RUNS ?? 8);
console.log(`fault suite: VIVA_FAULT_SEED=${seed} VIVA_FAULT_RUNS=${runs}`);

/** mulberry32: a small seeded PRNG so a seed replays the same kill moments and batch sizes. */
function prng(s: number): () => number {
  let a = s >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const running: VivaProcess[] = [];
const sinks: Sink[] = [];
afterEach(async () => {
  for (const p of running.splice(0)) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  for (const s of sinks.splice(0)) await s.close();
});

interface Load {
  next: number;
  acked: Set<number>;
  sent: Set<number>;
}

/** POSTs batches until `stop()` is true or a request fails (the agent died); returns when done. */
async function generate(port: number, load: Load, rnd: () => number, stop: () => boolean): Promise<void> {
  while (!stop()) {
    const size = 1 + Math.floor(rnd() * 50);
    const seqs: number[] = [];
    const lines: string[] = [];
    for (let i = 0; i < size; i++) {
      const seq = load.next++;
      seqs.push(seq);
      load.sent.add(seq);
      lines.push(`fault,series=s${seq % 7} seq=${seq}i`);
    }
    let status: number;
    try {
      const res = await fetch(`http://127.0.0.1:${port}/write`, { method: 'POST', body: lines.join('\n') });
      status = res.status;
      await res.arrayBuffer();
    } catch {
      return;
    }
    if (status === 204) for (const s of seqs) load.acked.add(s);
  }
}

function config(dir: string, listen: number, sinkPort: number): string {
  return `[agent]
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

async function start(file: string, listen: number): Promise<VivaProcess> {
  const p = startViva(['agent', '-c', file]);
  running.push(p);
  await waitFor(async () => {
    if (p.child.exitCode !== null) throw new Error(`agent exited: ${p.stderr().slice(-2000)}`);
    return (await fetch(`http://127.0.0.1:${listen}/ping`)).status === 204;
  }, 'the http_listener to answer');
  return p;
}

function report(sink: Sink, load: Load): { missing: number[]; duplicates: number; unknown: number[] } {
  const seqs = seqOf(sink.lines.filter((l) => l.startsWith('fault,')));
  const seen = new Set(seqs);
  return {
    missing: [...load.acked].filter((s) => !seen.has(s)),
    duplicates: seqs.length - seen.size,
    unknown: [...seen].filter((s) => !load.sent.has(s)),
  };
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
  const load: Load = { next: 0, acked: new Set(), sent: new Set() };

  for (let run = 0; run < runs; run++) {
    const p = await start(file, listen);
    sink.failWith = null;
    const outageAt = Date.now() + Math.floor(rnd() * 600);
    const killAt = outageAt + 100 + Math.floor(rnd() * 1000);
    const gens = [0, 1].map(() => generate(listen, load, rnd, () => p.child.exitCode !== null));
    if (outage) {
      await waitFor(() => Date.now() >= outageAt, 'the outage moment');
      sink.failWith = 503;
    }
    await waitFor(() => Date.now() >= killAt || p.child.exitCode !== null, 'the kill moment');
    expect(p.child.exitCode, `the agent died on its own: ${p.stderr().slice(-2000)}`).toBeNull();
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
