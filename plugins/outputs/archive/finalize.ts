/**
 * Turning a closed period (its open file of line protocol) into finished archive files, and
 * deleting finished files by age. Every finished file is written under a temp name, fsynced and
 * renamed, then listed in the manifest, and only then is the open file removed: a crash at any
 * point leaves either no file under the final name or a whole one, and the open file to finish
 * again at the next start (finishing is idempotent: same names, same content, the manifest entry
 * replaced).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import zlib from 'node:zlib';
import { parseLineProtocol } from '../../../core/format/lineprotocol/index.ts';
import {
  FORMAT_EXT,
  fsyncDir,
  readManifest,
  writeFileAtomic,
  writeManifest,
  type ArchiveFormat,
  type ManifestEntry,
} from '../../../core/lib/archive/manifest.ts';
import { metricsToParquet } from './parquet.ts';

const gzip = promisify(zlib.gzip);

/** An open period's file: `<stream dir>/.open/<period start ms>-<period end ms>-<part>.lp`. */
export interface OpenName {
  periodStart: number;
  periodEnd: number;
  part: number;
}

/** Lines and metric time range of an open file, when the writer knows them. */
export interface OpenStats {
  rows: number;
  min: number;
  max: number;
}

export const OPEN_DIR = '.open';

export function openFileName(o: OpenName): string {
  return `${o.periodStart}-${o.periodEnd}-${o.part}.lp`;
}

export function parseOpenFileName(name: string): OpenName | undefined {
  const m = /^(\d+)-(\d+)-(\d+)\.lp$/.exec(name);
  return m === null ? undefined : { periodStart: Number(m[1]), periodEnd: Number(m[2]), part: Number(m[3]) };
}

/** `20261203T140000Z` */
export function stamp(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

/** A finished file's path relative to the stream directory: one folder per UTC day. */
export function finalName(stream: string, o: OpenName, format: ArchiveFormat): string {
  const day = new Date(o.periodStart).toISOString().slice(0, 10);
  return path.join(day, `${stream}-${stamp(o.periodStart)}-${o.part}${FORMAT_EXT[format]}`);
}

/** What finishing a period produced. */
export interface Finished {
  entries: ManifestEntry[];
  rows: number;
}

export interface FinishOptions {
  streamDir: string;
  stream: string;
  formats: readonly ArchiveFormat[];
  gzipLevel: number;
  timeUnit: 'us' | 'ns';
  now: number;
}

/** Finishes one open file: archive files, manifest, then the open file is removed. */
export async function finishOpenFile(
  openPath: string,
  o: OpenName & { stats?: OpenStats },
  opts: FinishOptions,
): Promise<Finished> {
  const raw = fs.readFileSync(openPath);
  // A torn last line (a crash during an append that was never acknowledged) is cut off.
  const end = raw.lastIndexOf(10) + 1;
  const text = raw.subarray(0, end);
  const entries: ManifestEntry[] = [];
  let rows = 0;
  if (end > 0) {
    // Parquet needs the metrics; gzip alone does not, when the writer counted what it appended
    // (a file left by a crash, or reopened, is parsed to count it).
    const known = o.stats !== undefined && !opts.formats.includes('parquet') && o.stats.rows > 0;
    const metrics = known ? [] : parseLineProtocol(text).metrics;
    rows = known ? (o.stats as OpenStats).rows : metrics.length;
    let min = known ? (o.stats as OpenStats).min : Infinity;
    let max = known ? (o.stats as OpenStats).max : -Infinity;
    for (const m of metrics) {
      if (m.timeMs < min) min = m.timeMs;
      if (m.timeMs > max) max = m.timeMs;
    }
    const base = {
      period_start: o.periodStart,
      period_end: o.periodEnd,
      part: o.part,
      min_time: rows > 0 ? min : null,
      max_time: rows > 0 ? max : null,
      rows,
      created: opts.now,
    };
    for (const format of opts.formats) {
      const data =
        format === 'lp_gz'
          ? await gzip(text, { level: opts.gzipLevel })
          : metricsToParquet(
              metrics,
              {
                'viva.stream': opts.stream,
                'viva.period_start': new Date(o.periodStart).toISOString(),
                'viva.period_end': new Date(o.periodEnd).toISOString(),
              },
              opts.timeUnit,
            ).bytes;
      const file = finalName(opts.stream, o, format);
      writeFinal(path.join(opts.streamDir, file), data);
      entries.push({
        file,
        format,
        ...base,
        bytes: data.byteLength,
        sha256: crypto.createHash('sha256').update(data).digest('hex'),
      });
    }
    if (rows > 0) {
      const manifest = readManifest(opts.streamDir, opts.stream);
      const names = new Set(entries.map((e) => e.file));
      manifest.files = manifest.files.filter((e) => !names.has(e.file)).concat(entries);
      writeManifest(opts.streamDir, manifest);
    }
  }
  fs.rmSync(openPath, { force: true });
  fsyncDir(path.dirname(openPath));
  return { entries, rows };
}

function writeFinal(file: string, data: Uint8Array): void {
  writeFileAtomic(file, data);
}

/** Deletes finished files whose period ended before `cutoff`; returns the entries removed. */
export function pruneOlderThan(streamDir: string, stream: string, cutoff: number): ManifestEntry[] {
  const manifest = readManifest(streamDir, stream);
  const old = manifest.files.filter((e) => e.period_end <= cutoff);
  if (old.length === 0) return [];
  // Files first, then the list: a crash in between leaves entries whose file is gone, which the
  // next prune drops, never a file that no manifest lists.
  const dirs = new Set<string>();
  for (const e of old) {
    fs.rmSync(path.join(streamDir, e.file), { force: true });
    dirs.add(path.dirname(path.join(streamDir, e.file)));
  }
  manifest.files = manifest.files.filter((e) => e.period_end > cutoff);
  writeManifest(streamDir, manifest);
  for (const d of dirs) {
    try {
      if (fs.readdirSync(d).length === 0) fs.rmdirSync(d);
    } catch {
      // A folder that cannot be removed now is tried again at the next prune.
    }
  }
  return old;
}

/** finishOpenFile in a worker thread (same result; the caller's event loop stays free). */
export class FinishWorker {
  private worker: Worker | null = null;
  private nextId = 0;
  private readonly pending = new Map<
    number,
    { resolve: (f: Finished) => void; reject: (e: Error) => void }
  >();

  finish(file: string, open: OpenName & { stats?: OpenStats }, opts: FinishOptions): Promise<Finished> {
    const w = this.worker ?? this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      w.postMessage({ id, file, open, opts });
    });
  }

  /** Stops the worker (after the caller awaited what it asked). */
  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w !== null) await w.terminate();
  }

  private start(): Worker {
    const w = new Worker(new URL('./finish-worker.ts', import.meta.url));
    this.worker = w;
    w.on('message', (m: { id: number; done?: Finished; error?: string }) => {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.done !== undefined) p?.resolve(m.done);
      else p?.reject(new Error(m.error ?? 'archive worker failed'));
    });
    const fail = (e: Error): void => {
      if (this.worker === w) this.worker = null;
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`archive worker exited with code ${code}`)));
    return w;
  }
}
