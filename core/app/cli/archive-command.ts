/**
 * `viva archive list --dir DIR [--stream S] [--json]`: the finished files of every archive stream
 * under DIR (from the manifests), one line each.
 *
 * `viva archive replay -c FILE|DIR --dir DIR --from T --to T [--stream S] [--speed] [--batch-size]`:
 * the line protocol files whose metric time range meets [from, to], oldest first, through the
 * config's processors and outputs in event time, as `viva replay` does with one file; only metrics
 * whose time is within [from, to] are replayed. T is an RFC 3339 date, epoch milliseconds or a
 * duration ago (2h). Exit 0 when every metric that reached an output was written.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createParser } from '../../format/registry.ts';
import { readManifest, streamDirs, type ManifestEntry } from '../../lib/archive/manifest.ts';
import type { Registry } from '../../plugin/registry.ts';
import { createLogger } from '../logger.ts';
import { replay } from '../replay.ts';
import { Exit, parse, parseTimeBound, UsageError } from './args.ts';
import { loadValid } from './config-command.ts';
import { summaryLine } from './replay-command.ts';

/** A manifest entry with where it lives. */
export interface ListedFile extends ManifestEntry {
  stream: string;
  path: string;
}

/** Every finished file under an archive directory (or of one stream), by stream then period. */
export function listArchive(dir: string, stream?: string): ListedFile[] {
  const out: ListedFile[] = [];
  for (const sd of streamDirs(dir)) {
    const m = readManifest(sd);
    if (stream !== undefined && m.stream !== stream) continue;
    for (const e of m.files) out.push({ ...e, stream: m.stream, path: path.join(sd, e.file) });
  }
  return out;
}

const iso = (ms: number | null): string => (ms === null ? '-' : new Date(ms).toISOString());

function table(files: ListedFile[]): string {
  const rows = [
    ['stream', 'format', 'period (UTC)', 'part', 'rows', 'bytes', 'min time', 'max time', 'file'],
    ...files.map((f) => [
      f.stream,
      f.format,
      iso(f.period_start).replace('.000Z', 'Z'),
      String(f.part),
      String(f.rows),
      String(f.bytes),
      iso(f.min_time),
      iso(f.max_time),
      f.file + (fs.existsSync(f.path) ? '' : ' (missing)'),
    ]),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows
    .map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  '))
    .join('\n');
}

async function list(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    dir: { type: 'string' },
    stream: { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  if (values.dir === undefined) throw new UsageError('viva archive list needs --dir DIR');
  const files = listArchive(values.dir, values.stream);
  if (values.json) process.stdout.write(JSON.stringify(files, null, 2) + '\n');
  else if (files.length === 0) console.error(`viva archive list: no archive files under ${values.dir}`);
  else process.stdout.write(table(files) + '\n');
  return Exit.OK;
}

async function replayRange(argv: string[], registry: Registry): Promise<number> {
  const { values } = parse(argv, {
    config: { type: 'string', short: 'c' },
    dir: { type: 'string' },
    stream: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    speed: { type: 'string', default: 'max' },
    'batch-size': { type: 'string', default: '1000' },
    'data-dir': { type: 'string' },
    'log-level': { type: 'string', default: 'warn' },
  });
  if (
    values.config === undefined ||
    values.dir === undefined ||
    values.from === undefined ||
    values.to === undefined
  )
    throw new UsageError('viva archive replay needs -c FILE|DIR, --dir DIR, --from T and --to T');
  const from = parseTimeBound(values.from, '--from');
  const to = parseTimeBound(values.to, '--to');
  const speed = values.speed === 'max' ? Infinity : Number(values.speed);
  const batchSize = Number(values['batch-size']);
  if (!(speed > 0) || !(batchSize >= 1))
    throw new UsageError('--speed and --batch-size must be positive numbers');
  const files = listArchive(values.dir, values.stream)
    .filter((f) => f.format === 'lp_gz' && f.min_time !== null && f.max_time !== null)
    .filter((f) => (f.max_time as number) >= from && (f.min_time as number) <= to)
    .sort((a, b) => (a.min_time as number) - (b.min_time as number) || a.period_start - b.period_start);
  const label = `archive ${values.dir}${values.stream !== undefined ? '/' + values.stream : ''}`;
  if (files.length === 0) {
    console.error(
      `viva archive replay: no line protocol archive file between --from and --to in ${values.dir}`,
    );
    return Exit.OK;
  }
  const missing = files.filter((f) => !fs.existsSync(f.path));
  if (missing.length > 0) {
    console.error(
      `viva archive replay: listed in the manifest but missing: ${missing.map((f) => f.path).join(', ')}`,
    );
    return Exit.FAILURE;
  }
  const cfg = await loadValid(values.config, registry);
  if (cfg === undefined) return Exit.CONFIG;
  const log = createLogger(values['log-level']);
  try {
    const summary = await replay(cfg, {
      file: label,
      files: files.map((f) => f.path),
      parser: createParser('influx', { precision: 'ns' }),
      framing: 'lines',
      speed,
      batchSize,
      dataDir: values['data-dir'],
      since: from,
      until: to,
      log,
    });
    console.error(
      `${summaryLine(label, summary).replace('viva replay', 'viva archive replay')} from ${files.length} file(s)`,
    );
    return Object.values(summary.dropped).some((n) => n > 0) ? Exit.FAILURE : Exit.OK;
  } catch (e) {
    console.error(`viva archive replay: ${e instanceof Error ? e.message : String(e)}`);
    return Exit.FAILURE;
  }
}

/** `viva archive list|replay ...` */
export async function archiveCommand(argv: string[], registry: Registry): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'list') return list(rest);
  if (sub === 'replay') return replayRange(rest, registry);
  throw new UsageError(`viva archive needs list or replay, got "${sub ?? ''}"`);
}
