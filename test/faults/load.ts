/**
 * Shared parts of the fault suite: the seed, a seeded PRNG, a load generator that POSTs line
 * protocol with a unique `seq` per line and records which lines the agent acknowledged (204), and
 * the oracle's report (missing, duplicated and unknown lines at a destination).
 */
import { seqOf } from '../helpers/sink.ts';
import { startViva, waitFor, type VivaProcess } from '../helpers/viva.ts';

/** The suite's seed (VIVA_FAULT_SEED replays a run) and runs per scenario (VIVA_FAULT_RUNS). */
export const seed = Number(process.env.VIVA_FAULT_SEED ?? Math.floor(Math.random() * 2 ** 31));
export const runs = Number(process.env.VIVA_FAULT_RUNS ?? 8);
console.log(`fault suite: VIVA_FAULT_SEED=${seed} VIVA_FAULT_RUNS=${runs}`);

/** mulberry32: a small seeded PRNG so a seed replays the same fault moments and batch sizes. */
export function prng(s: number): () => number {
  let a = s >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What the generators sent and what the agent acknowledged. */
export interface Load {
  next: number;
  acked: Set<number>;
  sent: Set<number>;
  /** Answers other than 204 by status (429 while a buffer is full; 0: no answer, connection failed). */
  refused: Map<number, number>;
}

export function newLoad(): Load {
  return { next: 0, acked: new Set(), sent: new Set(), refused: new Map() };
}

/** POSTs batches until `stop()` is true; returns when done. */
export async function generate(
  port: number,
  load: Load,
  rnd: () => number,
  stop: () => boolean,
): Promise<void> {
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
      // The agent died or was killed (then `stop()` turns true), or it reset the connection:
      // counted as status 0, and the load goes on after a short pause.
      load.refused.set(0, (load.refused.get(0) ?? 0) + 1);
      await new Promise((r) => setTimeout(r, 10));
      continue;
    }
    if (status === 204) for (const s of seqs) load.acked.add(s);
    else load.refused.set(status, (load.refused.get(status) ?? 0) + 1);
  }
}

/**
 * True once the process ended, by exit or by a signal (exitCode stays null after a signal, so a
 * crash by SIGABRT or a kill -9 must be read from signalCode).
 */
export function ended(p: VivaProcess): boolean {
  return p.child.exitCode !== null || p.child.signalCode !== null;
}

/** How the process ended ("exit 1", "SIGABRT"), or null while it runs. */
export function ending(p: VivaProcess): string | null {
  if (p.child.signalCode !== null) return p.child.signalCode;
  return p.child.exitCode === null ? null : `exit ${p.child.exitCode}`;
}

/** Starts `viva agent -c file` and waits until its http_listener answers /ping. */
export async function startAgent(file: string, listen: number, running: VivaProcess[]): Promise<VivaProcess> {
  const p = startViva(['agent', '-c', file]);
  running.push(p);
  await waitFor(async () => {
    if (ended(p)) throw new Error(`agent exited: ${p.stderr().slice(-2000)}`);
    return (await fetch(`http://127.0.0.1:${listen}/ping`)).status === 204;
  }, 'the http_listener to answer');
  return p;
}

/** The oracle's view of one destination: acknowledged lines it lacks, duplicates, unknown lines. */
export interface Report {
  missing: number[];
  duplicates: number;
  unknown: number[];
  delivered: number;
}

/** Compares the `fault,` lines a destination received with what was sent and acknowledged. */
export function report(lines: readonly string[], load: Load): Report {
  const seqs = seqOf(lines.filter((l) => l.startsWith('fault,')));
  const seen = new Set(seqs);
  return {
    missing: [...load.acked].filter((s) => !seen.has(s)),
    duplicates: seqs.length - seen.size,
    unknown: [...seen].filter((s) => !load.sent.has(s)),
    delivered: seen.size,
  };
}

/** One summary line per destination, printed so a run's figures are in the log. */
export function summary(what: string, load: Load, r: Report): string {
  const refused = [...load.refused].map(([s, n]) => `${n}×${s}`).join(' ') || 'none';
  return (
    `${what}: sent ${load.sent.size}, acknowledged ${load.acked.size}, refused requests ${refused}, ` +
    `delivered ${r.delivered}, duplicates ${r.duplicates}, missing ${r.missing.length}, unknown ${r.unknown.length}`
  );
}
