/**
 * Helpers for collector tests: a collector config around given routes/destinations/outputs,
 * starting the real `viva collector`, and posting batches the way the `viva` output does.
 */
import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { encodeBatch } from '../../core/format/binary/index.ts';
import { Metric } from '../../core/model/metric/metric.ts';
import { freePort, startViva, waitFor, type VivaProcess } from './viva.ts';

export interface CollectorHandle {
  proc: VivaProcess;
  port: number;
  admin: number;
  file: string;
}

/** Writes `collector.toml` in `dir` with [agent] and [collector] filled in, then `body` appended. */
export async function collectorConfig(
  dir: string,
  body: string,
  opts: { port?: number; admin?: number; collector?: string; agent?: string } = {},
): Promise<{ file: string; port: number; admin: number }> {
  const port = opts.port ?? (await freePort());
  const admin = opts.admin ?? (await freePort());
  const file = path.join(dir, 'collector.toml');
  fs.writeFileSync(
    file,
    `[agent]
data_dir = "${path.join(dir, 'data')}"
watch_config = false
shutdown_timeout = "5s"
${opts.agent ?? ''}

[collector]
listen = "127.0.0.1:${port}"
admin_listen = "127.0.0.1:${admin}"
${opts.collector ?? ''}

${body}
`,
  );
  return { file, port, admin };
}

/** Starts `viva collector -c file` and waits for "collector started". */
export async function startCollector(cfg: {
  file: string;
  port: number;
  admin: number;
  env?: NodeJS.ProcessEnv;
}): Promise<CollectorHandle> {
  const proc = startViva(['collector', '-c', cfg.file], { env: cfg.env });
  await waitFor(
    () => proc.stderr().includes('collector started') || proc.child.exitCode !== null,
    'the collector to start',
    30_000,
  );
  if (proc.child.exitCode !== null) throw new Error(`collector exited: ${proc.stderr()}`);
  return { proc, file: cfg.file, port: cfg.port, admin: cfg.admin };
}

/** `n` metrics `name,agent=A,series=S seq=i` with increasing timestamps. */
export function makeMetrics(
  name: string,
  from: number,
  n: number,
  tags: Record<string, string> = {},
): Metric[] {
  const out: Metric[] = [];
  for (let i = from; i < from + n; i++)
    out.push(new Metric(name, { series: `s${i % 4}`, ...tags }, { seq: i }, 1_700_000_000_000 + i));
  return out;
}

/** POSTs one batch to a collector; resolves with the status. */
export async function postBatch(
  port: number,
  metrics: Metric[],
  opts: { token?: string; agent?: string; batchId?: string; gzip?: boolean } = {},
): Promise<number> {
  let body: Buffer = encodeBatch(metrics);
  const headers: Record<string, string> = { 'content-type': 'application/vnd.viva.batch' };
  if (opts.gzip !== false) {
    body = gzipSync(body);
    headers['content-encoding'] = 'gzip';
  }
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
  if (opts.agent !== undefined) headers['x-viva-agent'] = opts.agent;
  if (opts.batchId !== undefined) headers['x-viva-batch'] = opts.batchId;
  const res = await fetch(`http://127.0.0.1:${port}/v1/batch`, { method: 'POST', body, headers });
  await res.arrayBuffer();
  return res.status;
}

/** Raw POST with any body and headers. */
export async function postRaw(
  port: number,
  body: Uint8Array | string,
  headers: Record<string, string>,
): Promise<{ status: number; text: string; retryAfter: string | null }> {
  const res = await fetch(`http://127.0.0.1:${port}/v1/batch`, { method: 'POST', body, headers });
  return { status: res.status, text: await res.text(), retryAfter: res.headers.get('retry-after') };
}

/** The seq fields found in a line protocol file (missing file: none). */
export function seqsIn(file: string): number[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const m of text.matchAll(/ seq=(\d+)i?/g)) out.push(Number(m[1]));
  return out;
}
