/**
 * Fault suite: `kill -9` of a real `viva collector` (disk spool, fsync "always") at seeded random
 * moments while two senders POST batches the way agents do (retrying the same batch id until a
 * 204). Oracle: every batch the collector acknowledged reaches the destination at least once
 * (duplicates counted and reported), nothing arrives that was never sent, and the collector never
 * exits unless killed.
 *
 * VIVA_FAULT_SEED replays a run; VIVA_COLLECTOR_KILLS sets how many kills (default 5).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { encodeBatch } from '../../core/format/binary/index.ts';
import { Metric } from '../../core/model/metric/metric.ts';
import { collectorConfig, startCollector, type CollectorHandle } from '../helpers/collector.ts';
import { prng, seed } from './load.ts';
import { startSink, type Sink } from '../helpers/sink.ts';
import { tempDir, waitFor } from '../helpers/viva.ts';

const kills = Number(process.env.VIVA_COLLECTOR_KILLS ?? 5);
console.log(`collector fault suite: VIVA_FAULT_SEED=${seed} VIVA_COLLECTOR_KILLS=${kills}`);

const running: CollectorHandle[] = [];
const sinks: Sink[] = [];
afterEach(async () => {
  for (const c of running.splice(0)) if (c.proc.child.exitCode === null) c.proc.child.kill('SIGKILL');
  for (const s of sinks.splice(0)) await s.close();
});

/** The seq of each delivered line (a float field here: `seq=12`). */
function seqOf(lines: string[]): number[] {
  return lines.map((l) => {
    const m = / seq=(\d+)i? /.exec(l);
    if (m === null) throw new Error(`line without seq: ${l}`);
    return Number(m[1]);
  });
}

interface Load {
  next: number;
  acked: Set<number>;
  sent: Set<number>;
  /** A batch not yet acknowledged: sent again (same id) after a restart, as an agent does. */
  pending: Map<string, number[]>;
}

/** Sends batches until `stop()`; a failed request (the collector died) ends it, keeping the batch pending. */
async function sender(
  name: string,
  port: () => number,
  load: Load,
  rnd: () => number,
  stop: () => boolean,
  onlyPending = false,
): Promise<void> {
  while (!stop()) {
    let id: string;
    let seqs: number[];
    const retry = [...load.pending.entries()].find(([k]) => k.startsWith(name + '-'));
    if (retry !== undefined) [id, seqs] = retry;
    else if (onlyPending) return;
    else {
      seqs = [];
      const size = 1 + Math.floor(rnd() * 200);
      for (let i = 0; i < size; i++) {
        seqs.push(load.next);
        load.sent.add(load.next++);
      }
      id = `${name}-${seqs[0]}`;
      load.pending.set(id, seqs);
    }
    const body = encodeBatch(
      seqs.map((s) => new Metric('fault', { series: `s${s % 7}` }, { seq: s }, 1_700_000_000_000 + s)),
    );
    let status: number;
    try {
      const res = await fetch(`http://127.0.0.1:${port()}/v1/batch`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/vnd.viva.batch', 'x-viva-agent': name, 'x-viva-batch': id },
      });
      status = res.status;
      await res.arrayBuffer();
    } catch {
      return;
    }
    if (status === 204) {
      for (const s of seqs) load.acked.add(s);
      load.pending.delete(id);
    }
    // A few hundred batches a second per sender: enough to be mid-batch at every kill.
    await new Promise((r) => setTimeout(r, 2));
  }
}

describe('collector fault suite', () => {
  it(`should deliver every acknowledged batch across ${kills} kill -9 of the collector (seed ${seed})`, async () => {
    const rnd = prng(seed);
    const dir = tempDir('viva-coll-faults-');
    const sink = await startSink();
    sinks.push(sink);
    const cfg = await collectorConfig(
      dir,
      `
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
      const killAt = Date.now() + 300 + Math.floor(rnd() * 2000);
      const senders = ['a1', 'a2'].map((n) =>
        sender(
          n,
          () => c.port,
          load,
          rnd,
          () => c.proc.child.exitCode !== null,
        ),
      );
      await waitFor(() => Date.now() >= killAt || c.proc.child.exitCode !== null, 'the kill moment', 10_000);
      expect(
        c.proc.child.exitCode,
        `the collector died on its own: ${c.proc.stderr().slice(-2000)}`,
      ).toBeNull();
      c.proc.child.kill('SIGKILL');
      expect(await c.proc.exited).toBe('SIGKILL');
      await Promise.all(senders);
      console.log(`kill ${k + 1}: acknowledged ${load.acked.size}, pending ${load.pending.size}`);
    }
    // A last run: the batches still pending are sent again (as agents retry), then the spool drains.
    const last = await startCollector(cfg);
    running.push(last);
    await Promise.all(
      ['a1', 'a2'].map((n) =>
        sender(
          n,
          () => last.port,
          load,
          rnd,
          () => false,
          true,
        ),
      ),
    );
    expect(load.pending.size).toBe(0);
    // Delivered seqs, read incrementally: the sink lives in this process, so a poll must stay cheap.
    const got = new Set<number>();
    let read = 0;
    const delivered = (): Set<number> => {
      for (const s of seqOf(sink.lines.slice(read))) got.add(s);
      read = sink.lines.length;
      return got;
    };
    await waitFor(
      () => [...load.acked].every((s) => delivered().has(s)),
      'every acknowledged metric',
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
      `collector fault suite (seed ${seed}, ${kills} kills): sent ${load.sent.size}, acknowledged ${load.acked.size}, ` +
        `delivered ${seen.size}, duplicates ${seqs.length - seen.size}, missing ${missing.length}, unknown ${unknown.length}`,
    );
    expect(unknown).toEqual([]);
    expect(missing.slice(0, 20), `${missing.length} acknowledged metrics lost`).toEqual([]);
    expect(load.acked.size).toBeGreaterThan(1000);
  });
});
