/**
 * Fault suite: `kill -9` of a real `viva collector` (disk spool, fsync "always") at seeded random
 * moments while two senders POST line protocol to the collector's own [[inputs.http_listener]]
 * the way Telegraf does (a body not answered 204 is sent again, whole, after the restart). The
 * listener answers once the spool append resolved, so: every line answered 204 reaches the
 * destination after the restarts (duplicates counted and reported), nothing arrives that was
 * never sent, and the collector never exits unless killed.
 *
 * VIVA_FAULT_SEED replays a run; VIVA_COLLECTOR_KILLS sets how many kills (default 5).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { collectorConfig, startCollector, type CollectorHandle } from '../helpers/collector.ts';
import { prng, seed } from './load.ts';
import { seqOf, startSink, type Sink } from '../helpers/sink.ts';
import { freePort, tempDir, waitFor } from '../helpers/viva.ts';

const kills = Number(process.env.VIVA_COLLECTOR_KILLS ?? 5);
console.log(`collector listener fault suite: VIVA_FAULT_SEED=${seed} VIVA_COLLECTOR_KILLS=${kills}`);

const running: CollectorHandle[] = [];
const sinks: Sink[] = [];
afterEach(async () => {
  for (const c of running.splice(0)) if (c.proc.child.exitCode === null) c.proc.child.kill('SIGKILL');
  for (const s of sinks.splice(0)) await s.close();
});

interface Load {
  next: number;
  acked: Set<number>;
  sent: Set<number>;
  /** Bodies not yet answered 204, by sender: sent again after a restart. */
  pending: Map<string, number[]>;
}

/** Posts bodies until `stop()`; a failed request (the collector died) ends it, keeping the body pending. */
async function sender(
  name: string,
  url: string,
  load: Load,
  rnd: () => number,
  stop: () => boolean,
  onlyPending = false,
): Promise<void> {
  while (!stop()) {
    let seqs = load.pending.get(name);
    if (seqs === undefined) {
      if (onlyPending) return;
      seqs = [];
      const size = 1 + Math.floor(rnd() * 200);
      for (let i = 0; i < size; i++) {
        seqs.push(load.next);
        load.sent.add(load.next++);
      }
      load.pending.set(name, seqs);
    }
    const body = seqs.map((s) => `fault,series=s${s % 7} seq=${s}i ${1_700_000_000_000 + s}`).join('\n');
    let status: number;
    try {
      const res = await fetch(`${url}?precision=ms`, { method: 'POST', body });
      status = res.status;
      await res.arrayBuffer();
    } catch {
      return;
    }
    if (status === 204) {
      for (const s of seqs) load.acked.add(s);
      load.pending.delete(name);
    }
    await new Promise((r) => setTimeout(r, 2));
  }
}

describe('collector http_listener fault suite', () => {
  it(`should deliver every line answered 204 across ${kills} kill -9 of the collector (seed ${seed})`, async () => {
    const rnd = prng(seed);
    const dir = tempDir('viva-coll-listener-faults-');
    const sink = await startSink();
    sinks.push(sink);
    const listen = await freePort();
    const url = `http://127.0.0.1:${listen}/write`;
    const cfg = await collectorConfig(
      dir,
      `
[[inputs.http_listener]]
service_address = "127.0.0.1:${listen}"

[[routes]]
name = "all"
destinations = ["sink"]
[[destinations]]
name = "sink"
outputs = ["http-sink"]
breaker = { failures = 1, open_for = "100ms" }
[[outputs.http]]
alias = "http-sink"
url = "http://127.0.0.1:${sink.port}/write"
data_format = "influx"
`,
      { collector: 'spool_fsync = "always"' },
    );
    const load: Load = { next: 0, acked: new Set(), sent: new Set(), pending: new Map() };
    for (let k = 0; k < kills; k++) {
      const c = await startCollector(cfg);
      running.push(c);
      await waitFor(
        () =>
          fetch(`${url}`, { method: 'POST', body: '' }).then(
            (r) => r.ok,
            () => false,
          ),
        'the listener',
      );
      const killAt = Date.now() + 300 + Math.floor(rnd() * 2000);
      const stop = () => c.proc.child.exitCode !== null;
      const senders = ['a1', 'a2'].map((n) => sender(n, url, load, rnd, stop));
      await waitFor(() => Date.now() >= killAt || stop(), 'the kill moment', 10_000);
      expect(
        c.proc.child.exitCode,
        `the collector died on its own: ${c.proc.stderr().slice(-2000)}`,
      ).toBeNull();
      c.proc.child.kill('SIGKILL');
      expect(await c.proc.exited).toBe('SIGKILL');
      await Promise.all(senders);
      console.log(`kill ${k + 1}: answered 204 ${load.acked.size}, pending ${load.pending.size}`);
    }
    // A last run: the bodies still pending are sent again (as a Telegraf retries), then the spool drains.
    const last = await startCollector(cfg);
    running.push(last);
    await waitFor(
      () =>
        fetch(`${url}`, { method: 'POST', body: '' }).then(
          (r) => r.ok,
          () => false,
        ),
      'the listener',
    );
    await Promise.all(['a1', 'a2'].map((n) => sender(n, url, load, rnd, () => false, true)));
    expect(load.pending.size).toBe(0);
    const got = new Set<number>();
    let read = 0;
    const delivered = (): Set<number> => {
      for (const s of seqOf(sink.lines.slice(read))) got.add(s);
      read = sink.lines.length;
      return got;
    };
    await waitFor(
      () => [...load.acked].every((s) => delivered().has(s)),
      'every line answered 204',
      60_000,
      200,
    ).catch(() => undefined);
    last.proc.child.kill('SIGTERM');
    expect(await last.proc.exited).toBe(0);
    const seqs = seqOf(sink.lines);
    const seen = new Set(seqs);
    const missing = [...load.acked].filter((s) => !seen.has(s));
    const unknown = [...seen].filter((s) => !load.sent.has(s));
    console.log(
      `collector listener fault suite (seed ${seed}, ${kills} kills): sent ${load.sent.size}, answered 204 ${load.acked.size}, ` +
        `delivered ${seen.size}, duplicates ${seqs.length - seen.size}, missing ${missing.length}, unknown ${unknown.length}`,
    );
    expect(unknown).toEqual([]);
    expect(missing.slice(0, 20), `${missing.length} lines answered 204 lost`).toEqual([]);
    expect(load.acked.size).toBeGreaterThan(1000);
  });
});
