/**
 * Fault suite, outputs: two outputs failing at once, and a full disk under a disk buffer and a file
 * output. A real `viva agent` takes line protocol on its http_listener from two load generators.
 * Oracle: every line the listener acknowledged (204) reaches every destination at least once
 * (duplicates counted and printed), no line arrives that was never sent, a file output's file
 * holds only whole lines, and the agent never exits until the final SIGTERM, which exits 0.
 *
 * The full disk is a 5 MiB tmpfs (mounting needs root or passwordless sudo; a file-size limit
 * would raise SIGXFSZ, not ENOSPC), filled up to a few KiB by a filler file that is removed later.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startSink, type Sink } from '../helpers/sink.ts';
import { freePort, tempDir, waitFor, type VivaProcess } from '../helpers/viva.ts';
import {
  generate,
  newLoad,
  prng,
  report,
  runs,
  seed,
  startAgent,
  summary,
  type Load,
  ended,
  ending,
} from './load.ts';

const running: VivaProcess[] = [];
const sinks: Sink[] = [];
const mounts: string[] = [];
afterEach(async () => {
  const agents = running.splice(0);
  for (const p of agents) if (!ended(p)) p.child.kill('SIGKILL');
  for (const p of agents) await p.exited;
  for (const s of sinks.splice(0)) await s.close();
  for (const m of mounts.splice(0)) asRoot(['umount', m]);
});

function asRoot(cmd: string[]): void {
  const argv = process.getuid?.() === 0 ? cmd : ['sudo', '-n', ...cmd];
  execFileSync(argv[0], argv.slice(1), { stdio: 'pipe' });
}

async function sink(): Promise<Sink> {
  const s = await startSink();
  sinks.push(s);
  return s;
}

/** Runs the load until `done()`; returns a stop function that waits for the generators. */
function loadUntilStopped(
  listen: number,
  load: Load,
  rnd: () => number,
  agent: VivaProcess,
): () => Promise<void> {
  let stopped = false;
  const gens = [0, 1].map(() => generate(listen, load, rnd, () => stopped || ended(agent)));
  return async () => {
    stopped = true;
    await Promise.all(gens);
  };
}

/** Waits (bounded) until every destination has every acknowledged line, then stops the agent. */
async function finish(
  agent: VivaProcess,
  load: Load,
  destinations: Record<string, () => string[]>,
): Promise<void> {
  await waitFor(
    () => Object.values(destinations).every((lines) => report(lines(), load).missing.length === 0),
    'every acknowledged metric at every destination',
    60_000,
  ).catch(() => undefined);
  expect(ending(agent), `the agent died on its own: ${agent.stderr().slice(-2000)}`).toBeNull();
  agent.child.kill('SIGTERM');
  expect(await agent.exited, agent.stderr().slice(-2000)).toBe(0);
  for (const [what, lines] of Object.entries(destinations)) {
    const r = report(lines(), load);
    console.log(summary(what, load, r));
    expect(r.unknown, what).toEqual([]);
    expect(r.missing.slice(0, 20), `${what}: ${r.missing.length} acknowledged metrics lost`).toEqual([]);
  }
  expect(load.acked.size).toBeGreaterThan(0);
}

/** How many times the agent logged ENOSPC so far. */
function enospc(agent: VivaProcess): number {
  return agent.stderr().split('ENOSPC').length - 1;
}

/** Appends to `filler` until at most `keep` bytes are free (or the disk is full already). */
function fillUntil(filler: string, keep: number, free: () => number): void {
  const fd = fs.openSync(filler, 'a');
  const chunk = Buffer.alloc(64 * 1024);
  try {
    for (let left = free() - keep; left > 0; left = free() - keep)
      fs.writeSync(fd, chunk, 0, Math.min(chunk.length, left));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    fs.closeSync(fd);
  }
}

describe('fault suite: outputs', () => {
  it(`should deliver every acknowledged metric to both outputs when both fail at once (seed ${seed + 2})`, async () => {
    const rnd = prng(seed + 2);
    const dir = tempDir('viva-faults-');
    const [a, b] = [await sink(), await sink()];
    const listen = await freePort();
    const file = path.join(dir, 'agent.toml');
    // Small buffers in block mode: both outputs fill up while both are down (the case where one
    // output's overflow once deleted the other's metrics), and nothing acknowledged may be dropped.
    const output = (port: number, strategy: string) => `
[[outputs.http]]
url = "http://127.0.0.1:${port}/write"
buffer_strategy = "${strategy}"
metric_buffer_limit = 2000
when_full = "block"
retry_initial_backoff = "20ms"
retry_max_backoff = "100ms"
`;
    fs.writeFileSync(
      file,
      `[agent]\nflush_interval = "100ms"\nhttp_listen = ""\ndata_dir = "${dir}"\nomit_hostname = true\n\n` +
        `[[inputs.http_listener]]\nservice_address = "127.0.0.1:${listen}"\n` +
        output(a.port, 'memory') +
        output(b.port, 'disk'),
    );
    const load = newLoad();
    const agent = await startAgent(file, listen, running);
    const stop = loadUntilStopped(listen, load, rnd, agent);
    for (let run = 0; run < runs; run++) {
      // A starts failing, then B; both are down together for a while; they recover in either order.
      const t0 = Date.now();
      const [downA, downB] = [t0 + rnd() * 200, t0 + 100 + rnd() * 300];
      const [upA, upB] = [downB + 300 + rnd() * 1200, downB + 300 + rnd() * 1200];
      const schedule: [number, () => void][] = [
        [downA, () => (a.failWith = 503)],
        [downB, () => (b.failWith = 503)],
        [upA, () => (a.failWith = null)],
        [upB, () => (b.failWith = null)],
      ];
      schedule.sort((x, y) => x[0] - y[0]);
      for (const [at, act] of schedule) {
        await waitFor(() => Date.now() >= at || ended(agent), 'the next outage change');
        expect(ending(agent), `the agent died: ${agent.stderr().slice(-2000)}`).toBeNull();
        act();
      }
      const delivered = a.lines.length + b.lines.length;
      await waitFor(() => a.lines.length + b.lines.length > delivered, 'deliveries after the outage');
    }
    await stop();
    await finish(agent, load, { 'memory output': () => a.lines, 'disk output': () => b.lines });
  });

  it(`should deliver every acknowledged metric and write only whole lines when the disk is full (seed ${seed + 3})`, async () => {
    const rnd = prng(seed + 3);
    const dir = tempDir('viva-faults-');
    const disk = path.join(dir, 'disk');
    fs.mkdirSync(disk);
    asRoot(['mount', '-t', 'tmpfs', '-o', 'size=5m', 'tmpfs', disk]);
    mounts.push(disk);
    const s = await sink();
    const listen = await freePort();
    const file = path.join(dir, 'agent.toml');
    const out = path.join(disk, 'out.lp');
    fs.writeFileSync(
      file,
      `[agent]\nflush_interval = "100ms"\nhttp_listen = ""\ndata_dir = "${path.join(disk, 'data')}"\nomit_hostname = true\n\n` +
        `[[inputs.http_listener]]\nservice_address = "127.0.0.1:${listen}"\n\n` +
        `[[outputs.http]]\nurl = "http://127.0.0.1:${s.port}/write"\nbuffer_strategy = "disk"\n` +
        `retry_initial_backoff = "20ms"\nretry_max_backoff = "100ms"\n\n` +
        `[[outputs.file]]\nfiles = ["${out}"]\nwhen_full = "block"\nretry_initial_backoff = "20ms"\nretry_max_backoff = "100ms"\n`,
    );
    // The file output blocks when full (429 to the sender): while the disk is full it cannot write,
    // and a batch the disk buffer refused (500) still reaches it (the fan-out goes on past a failing
    // buffer), so with drop_oldest it would drop acknowledged metrics, counted but lost.
    const load = newLoad();
    const agent = await startAgent(file, listen, running);
    const stop = loadUntilStopped(listen, load, rnd, agent);
    const filler = path.join(disk, 'filler');
    const free = (): number => {
      const st = fs.statfsSync(disk);
      return st.bavail * st.bsize;
    };
    const rounds = Math.max(2, Math.ceil(runs / 4));
    for (let run = 0; run < rounds; run++) {
      // The sink is down, so the disk buffer grows; the filler leaves it a few KiB to grow into.
      s.failWith = 503;
      const keep = 4096 * Math.floor(1 + rnd() * 16);
      fillUntil(filler, keep, free);
      // Full: the agent met ENOSPC (a write larger than the last free block fails, so free space
      // need not reach 0).
      const seen = enospc(agent);
      await waitFor(() => enospc(agent) > seen || ended(agent), 'the disk to fill up', 30_000);
      const fullUntil = Date.now() + 200 + rnd() * 800;
      await waitFor(() => Date.now() >= fullUntil || ended(agent), 'the end of the full disk');
      expect(ending(agent), `the agent died on a full disk: ${agent.stderr().slice(-2000)}`).toBeNull();
      fs.rmSync(filler);
      s.failWith = null;
      const delivered = s.lines.length;
      await waitFor(() => s.lines.length > delivered, 'deliveries after space came back');
    }
    await stop();
    const fileLines = (): string[] => fs.readFileSync(out, 'utf8').split('\n').slice(0, -1);
    await finish(agent, load, { 'http output (disk buffer)': () => s.lines, 'file output': fileLines });
    const torn = fileLines().filter((l) => !/^fault,series=s\d+ seq=\d+i \d+$/.test(l));
    expect(torn.slice(0, 5), `${torn.length} torn or glued lines in the file`).toEqual([]);
  });
});
