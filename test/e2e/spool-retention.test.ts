/**
 * Spool retention through a real `viva collector`: its only output (an HTTP receiver) answers 503,
 * so everything stays in the spool until a bound is hit. drop_oldest keeps acknowledging and deletes
 * the oldest segments (counted, logged); refuse answers 429 with Retry-After and loses nothing;
 * spool_max_age deletes what is older than it, read or not.
 */
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import {
  collectorConfig,
  makeMetrics,
  postBatch,
  postRaw,
  startCollector,
  type CollectorHandle,
} from '../helpers/collector.ts';
import { counterValue, runViva, scrape, tempDir, waitFor } from '../helpers/viva.ts';
import { encodeBatch } from '../../core/format/binary/index.ts';

const running: CollectorHandle[] = [];
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of running.splice(0)) if (c.proc.child.exitCode === null) c.proc.child.kill('SIGKILL');
  for (const c of cleanup.splice(0)) await c();
});

/** A line protocol receiver answering 503 until `up`; the seq fields it took. */
async function receiver(): Promise<{ port: number; up: { value: boolean }; seqs: Set<number> }> {
  const up = { value: false };
  const seqs = new Set<number>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (!up.value) return void res.writeHead(503).end('down');
      for (const m of Buffer.concat(chunks)
        .toString()
        .matchAll(/ seq=(\d+)i?/g))
        seqs.add(Number(m[1]));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  cleanup.push(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return { port: (server.address() as { port: number }).port, up, seqs };
}

async function start(
  collector: string,
): Promise<{ c: CollectorHandle; rx: Awaited<ReturnType<typeof receiver>> }> {
  const rx = await receiver();
  const c = await startCollector(
    await collectorConfig(
      tempDir('viva-spool-ret-'),
      `
[[routes]]
name = "all"
destinations = ["out"]

[[destinations]]
name = "out"
outputs = ["rx"]
breaker = { failures = 1, open_for = "200ms", max_open_for = "200ms" }

[[outputs.http]]
alias = "rx"
url = "http://127.0.0.1:${rx.port}/"
data_format = "influx"
timeout = "2s"
`,
      { collector },
    ),
  );
  running.push(c);
  return { c, rx };
}

/** Batch `i`: 20 metrics, seq 20i..20i+19. */
const batch = (i: number): ReturnType<typeof makeMetrics> => makeMetrics('ret', i * 20, 20);

/** Batches 0..n-1 of which no metric arrived. */
function missingBatches(seqs: Set<number>, n: number): number {
  let missing = 0;
  for (let i = 0; i < n; i++) if (!batch(i).some((m) => seqs.has(m.fields.seq as number))) missing++;
  return missing;
}

describe('collector spool retention', () => {
  it('should keep acknowledging at spool_max_bytes with drop_oldest, deleting the oldest unread batches, counted and logged', async () => {
    const { c, rx } = await start(
      'spool_max_bytes = "16KiB"\nspool_full_policy = "drop_oldest"\nspool_fsync = "never"',
    );
    const statuses: number[] = [];
    for (let i = 0; i < 100; i++) statuses.push(await postBatch(c.port, batch(i), { gzip: false }));
    expect(statuses.every((s) => s === 204)).toBe(true);
    const text = await scrape(c.admin);
    const dropped = counterValue(text, 'viva_collector_spool_dropped_records_total', { reason: 'bytes' });
    expect(dropped).toBeGreaterThan(0);
    expect(
      counterValue(text, 'viva_collector_spool_dropped_unread_records_total', { destination: 'out' }),
    ).toBe(dropped);
    expect(
      counterValue(text, 'viva_collector_spool_dropped_bytes_total', { reason: 'bytes' }),
    ).toBeGreaterThan(0);
    expect(counterValue(text, 'viva_collector_ingest_rejected_total', { reason: 'spool_full' })).toBe(0);
    expect(c.proc.stderr()).toContain('spool_full_policy = \\"drop_oldest\\"');
    // What is left is delivered once the output is back: the newest batches, not the oldest.
    rx.up.value = true;
    await waitFor(() => rx.seqs.has(99 * 20 + 19), 'the newest batch to arrive', 30_000);
    // The batch the destination was retrying when its segment was deleted is in memory and still
    // goes out; the deleted ones after it never do.
    const missing = missingBatches(rx.seqs, 100);
    expect(missing).toBeGreaterThan(0);
    expect(missing).toBeLessThanOrEqual(dropped);
  });

  it('should answer 429 with Retry-After at spool_max_bytes with refuse, and deliver every batch it acknowledged', async () => {
    const { c, rx } = await start(
      'spool_max_bytes = "16KiB"\nspool_full_policy = "refuse"\nretry_after = "3s"\nspool_fsync = "never"',
    );
    const acked: number[] = [];
    let refusal: { status: number; retryAfter: string | null } | undefined;
    for (let i = 0; i < 100 && refusal === undefined; i++) {
      const r = await postRaw(c.port, encodeBatch(batch(i)), {
        'content-type': 'application/vnd.viva.batch',
      });
      if (r.status === 204) acked.push(i);
      else refusal = r;
    }
    expect(refusal).toMatchObject({ status: 429, retryAfter: '3' });
    const text = await scrape(c.admin);
    expect(counterValue(text, 'viva_collector_spool_dropped_records_total')).toBe(0);
    rx.up.value = true;
    const want = acked.flatMap((i) => batch(i).map((m) => m.fields.seq as number));
    await waitFor(() => want.every((s) => rx.seqs.has(s)), 'every acknowledged batch to arrive', 30_000);
  });

  it('should delete batches older than spool_max_age though no destination read them, and deliver newer ones', async () => {
    const { c, rx } = await start('spool_max_bytes = "64KiB"\nspool_max_age = "1s"\nspool_fsync = "never"');
    // Segments of 16 KiB: enough batches for several of them.
    for (let i = 0; i < 60; i++) expect(await postBatch(c.port, batch(i), { gzip: false })).toBe(204);
    await waitFor(
      async () =>
        counterValue(await scrape(c.admin), 'viva_collector_spool_dropped_records_total', { reason: 'age' }) >
        0,
      'the age bound to delete segments',
      30_000,
    );
    expect(c.proc.stderr()).toContain('spool retention deleted segments older than spool_max_age');
    expect(await postBatch(c.port, batch(1000), { gzip: false })).toBe(204);
    rx.up.value = true;
    await waitFor(() => rx.seqs.has(1000 * 20), 'the new batch to arrive', 30_000);
    expect(missingBatches(rx.seqs, 60)).toBeGreaterThan(0);
  });

  it('should accept the retention example conf/collector-retention.toml', async () => {
    const r = await runViva(['config', 'check', '-c', 'conf/collector-retention.toml']);
    expect(r.stdout).toContain('3 route(s), 3 destination(s)');
    expect(r.code).toBe(0);
  });
});
