/**
 * An agent whose output cannot deliver caps V8's heap growth once its memory buffers hold more than
 * 20,000 metrics, and gives V8 its own growth back once the destination answers and the buffers
 * drain (core/app/heap-growth.ts; both logged at debug level). Nothing buffered meanwhile is lost.
 * The agent's promotion GC (core/app/promotion-gc.ts) runs as the old generation grows.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, startViva, tempDir, waitFor, type VivaProcess } from '../helpers/viva.ts';

const running: VivaProcess[] = [];
const servers: http.Server[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const p of running.splice(0)) {
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
    await p.exited;
  }
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/**
 * An agent that generates `total` metrics (100 series, `rate` a second) for an http output to
 * `sinkPort`, with a memory buffer of `bufferLimit`; started with debug logs.
 */
async function startAgent(o: { bufferLimit: number; rate: number; total: number }): Promise<{
  p: VivaProcess;
  sinkPort: number;
}> {
  const dir = tempDir('viva-heap-growth-');
  dirs.push(dir);
  const sinkPort = await freePort();
  const file = path.join(dir, 'agent.toml');
  fs.writeFileSync(
    file,
    `[agent]
http_listen = ""
data_dir = "${path.join(dir, 'data')}"
metric_buffer_limit = ${o.bufferLimit}
flush_interval = "200ms"

[[inputs.generator]]
series = 100
rate = ${o.rate}
batch_size = 5000
total = ${o.total}

[[outputs.http]]
url = "http://127.0.0.1:${sinkPort}/write"
retry_max_backoff = "1s"
metric_batch_size = 5000
`,
  );
  const p = startViva(['agent', '-c', file, '--log-level', 'debug']);
  running.push(p);
  return { p, sinkPort };
}

/** The process's debug lines whose message starts with `msg`, parsed. */
function debugLines<T>(p: VivaProcess, msg: string): (T & { msg: string })[] {
  if (p.child.exitCode !== null) throw new Error(`exited: ${p.stderr()}`);
  return p
    .stderr()
    .split('\n')
    .filter((l) => l.includes(`"msg":"${msg}`))
    .map((l) => JSON.parse(l) as T & { msg: string });
}

/** The destination, up at last: counts the lines written to it and the distinct `seq` values. */
async function startSink(port: number): Promise<{ lines: number; seqs: Set<string> }> {
  const got = { lines: 0, seqs: new Set<string>() };
  const sink = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => {
      for (const l of body.split('\n')) {
        if (l === '') continue;
        got.lines++;
        got.seqs.add(/seq=(\d+)i?/.exec(l)?.[1] ?? l);
      }
      res.writeHead(204).end();
    });
  });
  servers.push(sink);
  await new Promise<void>((r) => sink.listen(port, '127.0.0.1', r));
  return got;
}

interface GrowthLine {
  buffered: number;
  heap_growing_percent: number;
}

describe('heap growth', () => {
  it(
    'should cap the heap growth while an output buffers more than 20,000 metrics, and lift it once they are written',
    { timeout: 60_000 },
    async () => {
      // Nothing listens on the output's port yet: every write fails and the buffer fills.
      const { p, sinkPort } = await startAgent({ bufferLimit: 100_000, rate: 50_000, total: 30_000 });
      const capped = await waitFor(
        () => debugLines<GrowthLine>(p, 'heap growth capped')[0],
        'the "heap growth capped" line',
        30_000,
        100,
      );
      expect(capped.buffered).toBeGreaterThan(20_000);
      expect(capped.heap_growing_percent).toBe(100);

      // The destination comes up: the buffer drains, the cap is lifted, every metric arrives.
      const got = await startSink(sinkPort);
      const lifted = await waitFor(
        () => debugLines<GrowthLine>(p, "heap growth back to V8's own")[0],
        'the "heap growth back" line',
        30_000,
        100,
      );
      expect(lifted.heap_growing_percent).toBe(0);
      expect(lifted.buffered).toBeLessThan(10_000);
      await waitFor(() => got.seqs.size >= 30_000, 'all 30,000 metrics at the sink', 30_000, 100);
      expect(got.seqs.size).toBe(30_000);
      expect(got.lines).toBeGreaterThanOrEqual(30_000);
    },
  );

  it('should run a full GC as the old generation grows by a step', { timeout: 60_000 }, async () => {
    // Nothing listens yet: 100,000 metrics stay buffered, tens of MB of old generation.
    const { p } = await startAgent({ bufferLimit: 200_000, rate: 100_000, total: 100_000 });
    const gc = await waitFor(
      () => debugLines<{ old_mb_before: number; old_mb_after: number; ms: number }>(p, 'promotion GC')[0],
      'a "promotion GC" line',
      30_000,
      100,
    );
    expect(gc.old_mb_before).toBeGreaterThanOrEqual(8);
    expect(gc.ms).toBeGreaterThan(0);
  });
});
