/**
 * `viva replay -c FILE --from DATA`: runs the config's processors over recorded data (CSV, line
 * protocol or JSON) in event time and writes through its outputs, then exits; one summary line
 * on stderr. Exit 0 when every metric that reached an output was written, 1 when some were
 * dropped or the replay failed.
 */
import path from 'node:path';
import { CsvParser, type CsvOptions } from '../../format/csv/index.ts';
import { createParser } from '../../format/registry.ts';
import type { Parser } from '../../format/types.ts';
import type { Precision } from '../../model/metric/time.ts';
import type { Registry } from '../../plugin/registry.ts';
import { createLogger } from '../logger.ts';
import { replay, type ReplayFraming, type ReplaySummary } from '../replay.ts';
import { Exit, parse, parseTimeBound, UsageError } from './args.ts';
import { loadValid } from './config-command.ts';

const OPTIONS = {
  config: { type: 'string', short: 'c' },
  from: { type: 'string' },
  format: { type: 'string', default: 'auto' },
  speed: { type: 'string', default: 'max' },
  'batch-size': { type: 'string', default: '1000' },
  'data-dir': { type: 'string' },
  precision: { type: 'string', default: 'ns' },
  'csv-timestamp-column': { type: 'string' },
  'csv-timestamp-format': { type: 'string' },
  'csv-tag-columns': { type: 'string' },
  'csv-value-columns': { type: 'string' },
  'csv-measurement': { type: 'string' },
  'csv-measurement-column': { type: 'string' },
  'csv-columns': { type: 'string' },
  'csv-no-header': { type: 'boolean', default: false },
  'csv-delimiter': { type: 'string' },
  'csv-comment': { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
  'log-level': { type: 'string', default: 'warn' },
} as const;

type Values = ReturnType<typeof parse<typeof OPTIONS>>['values'];

const list = (s: string | undefined): string[] | undefined =>
  s === undefined
    ? undefined
    : s
        .split(',')
        .map((x) => x.trim())
        .filter((x) => x !== '');

/** The data format of a file: given, or by its extension. */
function formatOf(file: string, format: string): 'csv' | 'influx' | 'json' {
  if (format === 'csv' || format === 'influx' || format === 'json') return format;
  if (format !== 'auto') throw new UsageError(`--format must be auto, csv, influx or json, got "${format}"`);
  // data.lp.gz is line protocol, gunzipped as it is read.
  const ext = path.extname(file.replace(/\.gz$/i, '')).toLowerCase();
  if (ext === '.csv' || ext === '.tsv') return 'csv';
  if (ext === '.json') return 'json';
  if (['.lp', '.line', '.influx', '.txt'].includes(ext)) return 'influx';
  throw new UsageError(
    `cannot tell the format of "${file}" from its extension: pass --format csv|influx|json`,
  );
}

function csvOptions(v: Values, file: string): CsvOptions {
  return {
    header: !v['csv-no-header'],
    columns: list(v['csv-columns']),
    delimiter: v['csv-delimiter'] ?? (path.extname(file).toLowerCase() === '.tsv' ? '\t' : ','),
    comment: v['csv-comment'],
    timestampColumn: v['csv-timestamp-column'],
    timestampFormat: v['csv-timestamp-format'],
    tagColumns: list(v['csv-tag-columns']),
    valueColumns: list(v['csv-value-columns']),
    measurement:
      v['csv-measurement'] ??
      path.basename(file.replace(/\.gz$/i, ''), path.extname(file.replace(/\.gz$/i, ''))),
    measurementColumn: v['csv-measurement-column'],
  };
}

function parserOf(v: Values, file: string): { parser: Parser; framing: ReplayFraming } {
  const format = formatOf(file, v.format);
  if (format === 'csv') {
    try {
      return { parser: new CsvParser(csvOptions(v, file)), framing: 'csv' };
    } catch (e) {
      throw new UsageError(e instanceof Error ? e.message : String(e));
    }
  }
  if (!['ns', 'us', 'ms', 's'].includes(v.precision))
    throw new UsageError(`--precision must be ns, us, ms or s, got "${v.precision}"`);
  const precision = v.precision as Precision;
  return { parser: createParser(format, { precision }), framing: format === 'json' ? 'whole' : 'lines' };
}

function positive(text: string, what: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${what} must be a positive number, got "${text}"`);
  return n;
}

/** One line: read, rejected, written (and dropped) per output, time and rate. */
export function summaryLine(file: string, s: ReplaySummary): string {
  const per = (r: Record<string, number>): string =>
    Object.entries(r)
      .map(([k, n]) => `${k}=${n}`)
      .join(' ');
  const dropped = Object.values(s.dropped).reduce((a, b) => a + b, 0);
  const rate = s.seconds > 0 ? Math.round(s.read / s.seconds) : s.read;
  return (
    `viva replay ${path.basename(file)}: read ${s.read}, rejected ${s.rejected}` +
    (s.skipped > 0 ? `, outside --since/--until ${s.skipped}` : '') +
    `, written ${per(s.written) || '-'}` +
    (dropped > 0 ? `, dropped ${per(s.dropped)}` : '') +
    ` in ${s.seconds.toFixed(2)} s (${rate} metrics/s)`
  );
}

/**
 * `viva replay [KIND] ...`: one command, one source kind per first word. `file` (the default, and
 * the form without a kind) runs recorded data through the processors in event time; other kinds
 * (dead letters of the collector, and later Kafka ranges and archives) come from the composition
 * root and share `--since` / `--until` (parseTimeBound).
 */
export async function replayCommand(
  argv: string[],
  registry: Registry,
  sources: Record<string, (argv: string[], registry: Registry) => Promise<number>> = {},
): Promise<number> {
  const kind = argv[0] !== undefined && !argv[0].startsWith('-') ? argv[0] : undefined;
  if (kind !== undefined && kind !== 'file') {
    const source = sources[kind];
    if (source === undefined)
      throw new UsageError(
        `unknown replay source "${kind}" (known: file${Object.keys(sources)
          .map((k) => ', ' + k)
          .join('')})`,
      );
    return source(argv.slice(1), registry);
  }
  return replayFile(kind === undefined ? argv : argv.slice(1), registry);
}

async function replayFile(argv: string[], registry: Registry): Promise<number> {
  const { values } = parse(argv, OPTIONS);
  if (values.config === undefined || values.from === undefined)
    throw new UsageError('viva replay needs -c FILE|DIR and --from DATA');
  const from = values.from;
  const { parser, framing } = parserOf(values, from);
  const speed = values.speed === 'max' ? Infinity : positive(values.speed, '--speed');
  const batchSize = Math.floor(positive(values['batch-size'], '--batch-size'));
  const since = values.since === undefined ? undefined : parseTimeBound(values.since, '--since');
  const until = values.until === undefined ? undefined : parseTimeBound(values.until, '--until');
  const cfg = await loadValid(values.config, registry);
  if (cfg === undefined) return Exit.CONFIG;
  const log = createLogger(values['log-level']);
  let summary: ReplaySummary;
  try {
    summary = await replay(cfg, {
      file: from,
      parser,
      framing,
      speed,
      batchSize,
      dataDir: values['data-dir'],
      since,
      until,
      log,
    });
  } catch (e) {
    console.error(`viva replay: ${e instanceof Error ? e.message : String(e)}`);
    return Exit.FAILURE;
  }
  console.error(summaryLine(from, summary));
  return Object.values(summary.dropped).some((n) => n > 0) ? Exit.FAILURE : Exit.OK;
}
