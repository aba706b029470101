/**
 * Starting load generator processes and reading their progress lines.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import type { Load } from './scenarios.ts';

/** A load generator's counters (lines), as it last reported them. */
export interface LoadStats {
  sent: number;
  accepted: number;
  refused: number;
  failed: number;
  requests: number;
  maxLagMs: number;
  lagSumMs: number;
  lagN: number;
  /** Uncompressed binary batch bytes accepted (viva bodies only). */
  payloadBytes: number;
  /** Request body bytes accepted, as sent. */
  wireBytes: number;
  /** Round-trip histogram buckets ([index, count], cumulative since start) and its max (ms). */
  rttBuckets: [number, number][];
  rttMax: number;
}

const ZERO: LoadStats = {
  sent: 0,
  accepted: 0,
  refused: 0,
  failed: 0,
  requests: 0,
  maxLagMs: 0,
  lagSumMs: 0,
  lagN: 0,
  payloadBytes: 0,
  wireBytes: 0,
  rttBuckets: [],
  rttMax: 0,
};

/** The load generator processes of one run. */
export class LoadGenerators {
  private readonly children: ChildProcess[] = [];
  private readonly last: LoadStats[] = [];
  private readonly exits: Promise<void>[] = [];

  /** Starts `load.processes` generators against `url`, each stopping by itself after `seconds`. */
  constructor(load: Load, url: string, seconds: number) {
    const script = path.join(import.meta.dirname, 'loadgen.ts');
    for (let i = 0; i < load.processes; i++) {
      const args = [
        script,
        '--target',
        url,
        '--connections',
        String(load.connections),
        '--batch',
        String(load.batch),
        '--rate',
        String(load.rate / load.processes),
        '--duration',
        String(Math.ceil(seconds)),
        '--seed',
        String(i + 1),
        ...(load.strings === false ? ['--no-strings'] : []),
        '--points',
        String(load.points ?? 1),
        '--body',
        load.transport === 'viva' ? 'viva' : 'lp',
      ];
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
      this.children.push(child);
      this.last.push({ ...ZERO });
      const idx = i;
      readline.createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
        try {
          this.last[idx] = JSON.parse(line) as LoadStats;
        } catch {
          // not a progress line
        }
      });
      this.exits.push(new Promise((resolve) => child.once('exit', () => resolve())));
    }
  }

  /** The pids (to read their CPU time). */
  get pids(): number[] {
    return this.children.map((c) => c.pid as number);
  }

  /** Counters summed over the processes (maxLagMs: the largest; buckets merged). */
  snapshot(): LoadStats {
    const s = { ...ZERO };
    const rtt = new Map<number, number>();
    for (const x of this.last) {
      s.payloadBytes += x.payloadBytes ?? 0;
      s.wireBytes += x.wireBytes ?? 0;
      for (const [i, n] of x.rttBuckets ?? []) rtt.set(i, (rtt.get(i) ?? 0) + n);
      s.rttMax = Math.max(s.rttMax, x.rttMax ?? 0);
      s.sent += x.sent;
      s.accepted += x.accepted;
      s.refused += x.refused;
      s.failed += x.failed;
      s.requests += x.requests;
      s.lagSumMs += x.lagSumMs;
      s.lagN += x.lagN;
      s.maxLagMs = Math.max(s.maxLagMs, x.maxLagMs);
    }
    s.rttBuckets = [...rtt.entries()];
    return s;
  }

  /** Resolves once the first progress line of every process arrived (its corpus is built). */
  async started(timeoutMs = 60_000): Promise<void> {
    const until = performance.now() + timeoutMs;
    while (this.last.some((x) => x === undefined || (x as { t_ms?: number }).t_ms === undefined)) {
      if (this.children.some((c) => c.exitCode !== null)) throw new Error('a load generator exited early');
      if (performance.now() > until) throw new Error('load generators did not start');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** SIGTERM every generator and wait for them (they print a final line first). */
  async stop(): Promise<void> {
    for (const c of this.children) if (c.exitCode === null) c.kill('SIGTERM');
    await Promise.all(this.exits);
  }
}
