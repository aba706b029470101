/**
 * The collector's own listener inputs answer a write once the spool holds it: a real `viva
 * collector` (spool_fsync = "always") runs under a file size limit (`ulimit -f`, a full disk as
 * the spool sees it) until a spool append fails. Each body answered 204 reaches the destination;
 * a body whose append failed is answered 503 with Retry-After, counted, and never delivered.
 */
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { REMOTE_WRITE_HEADERS, remoteWriteBody } from '../../core/format/prometheus/remotewrite.ts';
import { collectorConfig } from '../helpers/collector.ts';
import { seqOf, startSink, type Sink } from '../helpers/sink.ts';
import {
  counterValue,
  freePort,
  repoRoot,
  scrape,
  tempDir,
  vivaBin,
  vivaNodeFlags,
  waitFor,
  type VivaProcess,
} from '../helpers/viva.ts';

const running: VivaProcess[] = [];
const sinks: Sink[] = [];
afterEach(async () => {
  for (const p of running.splice(0)) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  for (const s of sinks.splice(0)) await s.close();
});

/** `viva collector -c file` with every file it writes limited to `kib` KiB (writes past it fail: EFBIG). */
function startLimited(file: string, kib: number): VivaProcess {
  const argv = [process.execPath, ...vivaNodeFlags(), vivaBin, 'collector', '-c', file]
    .map((a) => `'${a}'`)
    .join(' ');
  // sh's ulimit -f counts 512-byte blocks.
  const child = spawn('sh', ['-c', `ulimit -f ${kib * 2} && exec ${argv}`], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  const p = { child, stdout: () => out, stderr: () => err, exited };
  running.push(p);
  return p;
}

/** 100 lines `app seq=Ni` with seqs from `from`. */
function body(from: number): string {
  const lines: string[] = [];
  for (let s = from; s < from + 100; s++)
    lines.push(`app,series=s${s % 5} seq=${s}i ${1_700_000_000_000 + s}`);
  return lines.join('\n');
}

describe('collector listener inputs and the spool', () => {
  it('should answer 204 only for what the spool stored, and 503 with Retry-After when an append fails', async () => {
    const dir = tempDir('viva-coll-ack-');
    const sink = await startSink();
    sinks.push(sink);
    const influx = await freePort();
    const rw = await freePort();
    const cfg = await collectorConfig(
      dir,
      `
[[inputs.http_listener]]
service_address = "127.0.0.1:${influx}"
retry_after = "2s"

[[inputs.prometheus_remote_write]]
service_address = "127.0.0.1:${rw}"
retry_after = "2s"

[[routes]]
name = "all"
destinations = ["sink"]
[[destinations]]
name = "sink"
outputs = ["http-sink"]
[[outputs.http]]
alias = "http-sink"
url = "http://127.0.0.1:${sink.port}/write"
data_format = "influx"
`,
      { collector: 'spool_fsync = "always"' },
    );
    const c = startLimited(cfg.file, 256);
    await waitFor(
      () => c.stderr().includes('collector started') || c.child.exitCode !== null,
      'the collector to start',
      30_000,
    );
    expect(c.child.exitCode, c.stderr()).toBeNull();
    const answered204: number[] = [];
    const refused: number[] = [];
    let retryAfter: string | null = null;
    // Bodies of 100 lines until the spool segment reaches the file size limit.
    for (let from = 0; refused.length === 0 && from < 200_000; from += 100) {
      const res = await fetch(`http://127.0.0.1:${influx}/write?precision=ms`, {
        method: 'POST',
        body: body(from),
      });
      const text = await res.text();
      if (res.status === 204) answered204.push(from);
      else {
        expect(res.status, `${text} ${c.stderr().slice(-3000)}`).toBe(503);
        expect(text).toContain('could not be stored');
        retryAfter = res.headers.get('retry-after');
        refused.push(from);
      }
    }
    expect(refused).toHaveLength(1);
    expect(retryAfter).toBe('2');
    expect(answered204.length).toBeGreaterThan(10);
    // The remote write input answers the same way once the spool cannot take its batch.
    const samples = Array.from({ length: 2000 }, (_, i) => ({ value: i, timeMs: 1_700_000_000_000 + i }));
    const rwRes = await fetch(`http://127.0.0.1:${rw}/api/v1/write`, {
      method: 'POST',
      body: remoteWriteBody([{ labels: [['__name__', 'rw_probe']], samples }]),
      headers: { ...REMOTE_WRITE_HEADERS },
    });
    expect(rwRes.status, await rwRes.text()).toBe(503);
    expect(rwRes.headers.get('retry-after')).toBe('2');
    // Every line answered 204 is delivered; none of a refused body is.
    const want = answered204.flatMap((from) => Array.from({ length: 100 }, (_, i) => from + i));
    const delivered = (): Set<number> => new Set(seqOf(sink.lines.filter((l) => l.startsWith('app,'))));
    await waitFor(
      () => {
        const got = delivered();
        return want.every((s) => got.has(s));
      },
      'every line answered 204 at the sink',
      30_000,
      200,
    );
    for (const from of refused) expect(delivered().has(from)).toBe(false);
    expect(sink.lines.some((l) => l.startsWith('rw_probe'))).toBe(false);
    const metrics = await scrape(cfg.admin);
    expect(counterValue(metrics, 'viva_input_rejected_total', { reason: 'not stored by the pipeline' })).toBe(
      100 + samples.length,
    );
    expect(c.child.exitCode).toBeNull();
  });
});
