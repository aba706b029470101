/**
 * The archive manifest: one JSON file per archive stream (`<dir>/<stream>/manifest.json`) listing
 * every finished file with its period, the metric time range it holds, its rows, bytes, format and
 * SHA-256. The archive output writes it; `viva archive list|replay` read it. It is replaced
 * atomically (temp name, fsync, rename, fsync of the directory), so a reader or a crash sees the
 * old list or the new one, never half of one.
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../fs/atomic.ts';

export { fsyncDir, isTempName, tempNameOf, writeFileAtomic } from '../fs/atomic.ts';

/** The formats an archive file can have. */
export type ArchiveFormat = 'lp_gz' | 'parquet';

/** File name extension of each format. */
export const FORMAT_EXT: Record<ArchiveFormat, string> = { lp_gz: '.lp.gz', parquet: '.parquet' };

/** One finished archive file. */
export interface ManifestEntry {
  /** Path relative to the stream directory. */
  file: string;
  format: ArchiveFormat;
  /** The rotation period the file closes (wall clock, ms since the epoch): [period_start, period_end). */
  period_start: number;
  period_end: number;
  /** Part number within the period (a restart or a size cut starts a new part). */
  part: number;
  /** Earliest and latest metric time in the file (ms since the epoch); null when empty. */
  min_time: number | null;
  max_time: number | null;
  /** Metrics (lines for lp_gz, rows for parquet: one row per metric). */
  rows: number;
  bytes: number;
  sha256: string;
  /** When the file was finished (ms since the epoch). */
  created: number;
}

/** The manifest document. */
export interface Manifest {
  version: 1;
  stream: string;
  files: ManifestEntry[];
}

export const MANIFEST_FILE = 'manifest.json';

/** Reads a stream's manifest; an absent one is empty. */
export function readManifest(streamDir: string, stream = path.basename(streamDir)): Manifest {
  const file = path.join(streamDir, MANIFEST_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, stream, files: [] };
    throw e;
  }
  const doc = JSON.parse(text) as Manifest;
  if (doc.version !== 1 || !Array.isArray(doc.files))
    throw new Error(`${file}: not a VIVA archive manifest (version ${String(doc.version)})`);
  return doc;
}

/** Replaces a stream's manifest atomically. */
export function writeManifest(streamDir: string, doc: Manifest): void {
  const sorted = { ...doc, files: [...doc.files].sort(byPeriod) };
  writeFileAtomic(path.join(streamDir, MANIFEST_FILE), JSON.stringify(sorted, null, 2) + '\n');
}

function byPeriod(a: ManifestEntry, b: ManifestEntry): number {
  return a.period_start - b.period_start || a.part - b.part || a.file.localeCompare(b.file);
}

/** The stream directories under an archive directory (or the directory itself when it is one). */
export function streamDirs(dir: string): string[] {
  if (fs.existsSync(path.join(dir, MANIFEST_FILE))) return [dir];
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return names
    .map((n) => path.join(dir, n))
    .filter((d) => fs.existsSync(path.join(d, MANIFEST_FILE)))
    .sort();
}
