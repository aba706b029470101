/**
 * `viva replay kafka -c FILE --topic T --brokers B[,B...] --since T1 [--until T2]`: replays the
 * records of a topic between two times through the config's processors and outputs, as `viva
 * replay` does with a file (event time, the same summary line and exit codes). Offsets come from
 * ListOffsets by timestamp (core/lib/kafka/range.ts) over the window widened by `--slack` (default
 * 5m) on both sides, since a record's timestamp is when it was produced, not its metrics' time; the
 * metrics are then filtered by their own time, so a metric of the range produced up to `--slack`
 * late (or early, by a skewed clock) is replayed, and no metric outside the range is.
 * Brokers are reached without TLS or SASL; `--client-id` names the reader.
 */
import { z } from 'zod';
import { duration } from '../../config/duration.ts';
import { createParser } from '../../format/registry.ts';
import type { Precision } from '../../model/metric/time.ts';
import type { Registry } from '../../plugin/registry.ts';
import { kafkaClientOptions, kafkaConnectionKeys } from '../../lib/kafka/connection.ts';
import { readRange } from '../../lib/kafka/range.ts';
import { createLogger } from '../logger.ts';
import { replay, type ReplayPiece, type ReplaySummary } from '../replay.ts';
import { Exit, parse, parseTimeBound, UsageError } from './args.ts';
import { loadValid } from './config-command.ts';
import { summaryLine } from './replay-command.ts';

const OPTIONS = {
  config: { type: 'string', short: 'c' },
  topic: { type: 'string' },
  brokers: { type: 'string' },
  'client-id': { type: 'string', default: 'viva-replay' },
  since: { type: 'string' },
  until: { type: 'string' },
  slack: { type: 'string', default: '5m' },
  format: { type: 'string', default: 'influx' },
  precision: { type: 'string', default: 'ns' },
  'batch-size': { type: 'string', default: '5000' },
  'data-dir': { type: 'string' },
  'log-level': { type: 'string', default: 'warn' },
} as const;

/** Line protocol messages are joined into pieces of about this size (fewer, larger batches). */
const PIECE_BYTES = 1 << 20;

const connection = z.strictObject(kafkaConnectionKeys);

/** --slack: a duration such as 5m, 30s or 0. */
function parseDuration(text: string): number {
  const r = duration.safeParse(text);
  if (!r.success) throw new UsageError(`--slack "${text}" is not a duration (e.g. 5m)`);
  return r.data;
}

/** The range's messages as parseable pieces: line protocol joined, JSON one message each. */
async function* pieces(
  messages: AsyncIterable<{ value: Buffer | undefined }>,
  join: boolean,
): AsyncGenerator<ReplayPiece> {
  let parts: Buffer[] = [];
  let bytes = 0;
  let n = 0;
  for await (const m of messages) {
    n++;
    if (m.value === undefined || m.value === null || m.value.length === 0) continue;
    if (!join) {
      yield { text: m.value, line: n };
      continue;
    }
    parts.push(m.value, Buffer.from('\n'));
    bytes += m.value.length + 1;
    if (bytes >= PIECE_BYTES) {
      yield { text: Buffer.concat(parts), line: n };
      parts = [];
      bytes = 0;
    }
  }
  if (parts.length > 0) yield { text: Buffer.concat(parts), line: n };
}

export async function replayKafka(argv: string[], registry: Registry): Promise<number> {
  const { values: v } = parse(argv, OPTIONS);
  if (v.config === undefined || v.topic === undefined || v.brokers === undefined || v.since === undefined)
    throw new UsageError(
      'viva replay kafka needs -c FILE|DIR, --topic T, --brokers HOST:PORT[,...] and --since T',
    );
  const since = parseTimeBound(v.since, '--since');
  const until = v.until === undefined ? Date.now() : parseTimeBound(v.until, '--until');
  if (until < since) throw new UsageError('--until is before --since');
  if (v.format !== 'influx' && v.format !== 'json') throw new UsageError(`--format must be influx or json`);
  if (!['ns', 'us', 'ms', 's'].includes(v.precision))
    throw new UsageError(`--precision must be ns, us, ms or s, got "${v.precision}"`);
  const slack = parseDuration(v.slack);
  const batchSize = Number(v['batch-size']);
  if (!Number.isInteger(batchSize) || batchSize <= 0)
    throw new UsageError('--batch-size must be a positive integer');
  const conn = connection.safeParse({ brokers: v.brokers.split(','), client_id: v['client-id'] });
  if (!conn.success) throw new UsageError(`--brokers: ${conn.error.issues[0]?.message ?? 'invalid'}`);
  const cfg = await loadValid(v.config, registry);
  if (cfg === undefined) return Exit.CONFIG;
  const log = createLogger(v['log-level']);
  const source = readRange({
    client: kafkaClientOptions(conn.data),
    topic: v.topic,
    sinceMs: since - slack,
    untilMs: until + slack,
    onRanges: (ranges) =>
      log.info(
        { topic: v.topic, ranges: ranges.map((r) => `${r.partition}:${r.start}-${r.end}`) },
        'replaying offsets found by time',
      ),
    onIdle: (open) =>
      log.warn({ partitions: open.map((r) => r.partition) }, 'no more records came; ending the range there'),
  });
  let summary: ReplaySummary;
  try {
    summary = await replay(cfg, {
      file: `kafka:${v.topic}`,
      source: pieces(source, v.format === 'influx'),
      parser: createParser(v.format, { precision: v.precision as Precision }),
      framing: 'lines',
      speed: Infinity,
      batchSize,
      dataDir: v['data-dir'],
      since,
      until,
      log,
    });
  } catch (e) {
    console.error(`viva replay kafka: ${e instanceof Error ? e.message : String(e)}`);
    return Exit.FAILURE;
  }
  console.error(summaryLine(`kafka:${v.topic}`, summary));
  return Object.values(summary.dropped).some((n) => n > 0) ? Exit.FAILURE : Exit.OK;
}
