/**
 * Offline replay (backfill): recorded metrics go through a config's processors into its outputs,
 * as fast as the outputs take them (or at a multiple of real time), in event time. The inputs
 * of the config are not built; the file is read in chunks and pushed into the pipeline in
 * batches, waiting whenever an output's buffer is full (every output blocks instead of dropping
 * during a replay). The processors' clock follows event time — now() is the newest metric time
 * replayed so far — so windows, `for` durations and timeouts behave as they would have live.
 * State and disk buffers live in a data directory of their own (a fresh temporary one unless
 * given), so a replay never touches the state of an agent running the same config.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setImmediate as nextTick, setTimeout as sleep } from 'node:timers/promises';
import zlib from 'node:zlib';
import type { Logger } from 'pino';
import { openDiskBuffer } from '../engine/buffer/disk/index.ts';
import type { ValidConfig } from '../config/validate.ts';
import type { Parser } from '../format/types.ts';
import type { Metric } from '../model/metric/metric.ts';
import { createContainer } from '../plugin/context.ts';
import type { Clock } from '../plugin/types.ts';
import { Telemetry } from '../engine/telemetry/telemetry.ts';
import { Agent } from './agent.ts';

/** Event time as a clock: now() is the newest metric time replayed so far. */
export class ReplayClock implements Clock {
  private latest: number;

  constructor(start = 0) {
    this.latest = start;
  }

  now(): number {
    return this.latest;
  }

  monotonic(): number {
    return performance.now();
  }

  /** Moves time forward to `ms` (never back). */
  advance(ms: number): void {
    if (ms > this.latest) this.latest = ms;
  }
}

/** A parseable piece of the data, and where it starts (a line of a file, an offset of a topic). */
export interface ReplayPiece {
  text: string | Buffer;
  line: number;
}

/** How a file is cut into parseable pieces. */
export type ReplayFraming = 'lines' | 'csv' | 'whole';

/** What to replay and how. */
export interface ReplayOptions {
  /** The data file (a name ending in .gz is gunzipped as it is read), or the name of the source in logs when `source` is given. */
  file: string;
  /** Several files replayed one after the other as one stream (an archive range); `file` names it. */
  files?: string[];
  /** Records to parse instead of the files' pieces (e.g. the messages of a Kafka range). */
  source?: AsyncIterable<ReplayPiece>;
  parser: Parser;
  /** lines: any newline ends a record; csv: a newline outside quotes; whole: one piece. */
  framing: ReplayFraming;
  /** Multiple of real time; Infinity replays as fast as the outputs take it. */
  speed: number;
  batchSize: number;
  /** Plugin state and disk buffers; default: a temporary directory removed afterwards. */
  dataDir?: string;
  /** Only metrics whose time is within [since, until] (epoch ms) are replayed; the rest are skipped, counted. */
  since?: number;
  until?: number;
  log: Logger;
}

/** What a replay did. */
export interface ReplaySummary {
  read: number;
  /** Metrics outside --since / --until. */
  skipped: number;
  rejected: number;
  /** Metrics written, and dropped, per output label. */
  written: Record<string, number>;
  dropped: Record<string, number>;
  seconds: number;
}

const CHUNK = 1 << 20;
const LOGGED_ERRORS = 20;

/** Runs the config's processors and outputs over the file; resolves once everything is flushed. */
export async function replay(config: ValidConfig, o: ReplayOptions): Promise<ReplaySummary> {
  const started = performance.now();
  const tmp = o.dataDir === undefined ? fs.mkdtempSync(path.join(os.tmpdir(), 'viva-replay-')) : undefined;
  const dataDir = path.resolve(o.dataDir ?? (tmp as string));
  const clock = new ReplayClock();
  const telemetry = new Telemetry('viva-replay');
  if (config.inputs.length > 0)
    o.log.info({ inputs: config.inputs.length }, 'inputs are not run during a replay');
  const agent = new Agent(
    {
      ...config,
      inputs: [],
      agent: { ...config.agent, data_dir: dataDir },
      outputs: config.outputs.map((s) => ({ ...s, common: { ...s.common, when_full: 'block' as const } })),
    },
    {
      container: createContainer({ logger: o.log, telemetry, clock, dataDir }),
      log: o.log,
      openDisk: openDiskBuffer,
    },
  );
  const counts = { read: 0, rejected: 0, skipped: 0 };
  const source = batches(o, counts)[Symbol.asyncIterator]();
  try {
    await run(agent, clock, source, o, config.agent.shutdown_timeout);
    const summary = await outputCounts(telemetry, config);
    return { ...counts, ...summary, seconds: (performance.now() - started) / 1000 };
  } finally {
    await telemetry.shutdown();
    if (tmp !== undefined) fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Starts the agent, pushes every batch, drains and stops. */
async function run(
  agent: Agent,
  clock: ReplayClock,
  source: AsyncIterator<Metric[]>,
  o: ReplayOptions,
  stallMs: number,
): Promise<void> {
  try {
    // The first batch sets the clock before the processors are created.
    let next = await source.next();
    if (next.done !== true && next.value.length > 0) clock.advance(next.value[0].timeMs);
    await agent.start({ startInputs: false });
    const pace = o.speed === Infinity ? undefined : { wall: performance.now(), event: clock.now() };
    for (; next.done !== true; next = await source.next()) {
      const batch = next.value;
      let newest = -Infinity;
      for (const m of batch) if (m.timeMs > newest) newest = m.timeMs;
      if (pace !== undefined) {
        const due = pace.wall + (batch[0].timeMs - pace.event) / o.speed - performance.now();
        if (due > 0) await sleep(due);
      }
      clock.advance(newest);
      if (!agent.pipeline.push(batch, undefined)) await agent.pipeline.waitForCapacity();
      await agent.pipeline.idle();
      // Lets the outputs write and the processors' timers run between batches.
      await nextTick();
    }
    await drain(agent, stallMs);
  } finally {
    if (agent.running) await agent.stop();
    await source.return?.();
  }
}

/** Batches of parsed metrics, at most batchSize each (and 100 ms of replayed time when paced). */
async function* batches(
  o: ReplayOptions,
  counts: { read: number; rejected: number; skipped: number },
): AsyncGenerator<Metric[]> {
  const span = o.speed === Infinity ? Infinity : o.speed * 100;
  if (o.source !== undefined) yield* fileBatches(o.file, o.source, o, counts, span);
  else
    for (const file of o.files ?? [o.file])
      yield* fileBatches(file, pieces(file, o.framing), o, counts, span);
  if (counts.rejected > LOGGED_ERRORS)
    o.log.warn({ file: o.file, rejected: counts.rejected }, `rejected ${counts.rejected} records in all`);
}

async function* fileBatches(
  file: string,
  source: AsyncIterable<ReplayPiece>,
  o: ReplayOptions,
  counts: { read: number; rejected: number; skipped: number },
  span: number,
): AsyncGenerator<Metric[]> {
  for await (const piece of source) {
    const parsed = o.parser.parse(piece.text, { defaultTime: [Date.now(), 0] });
    const { errors } = parsed;
    let metrics = parsed.metrics;
    if (o.since !== undefined || o.until !== undefined) {
      const since = o.since ?? -Infinity;
      const until = o.until ?? Infinity;
      const within = metrics.filter((m) => m.timeMs >= since && m.timeMs <= until);
      counts.skipped += metrics.length - within.length;
      metrics = within;
    }
    for (const e of errors) {
      if (counts.rejected < LOGGED_ERRORS)
        o.log.warn(
          { file, line: piece.line + e.line - 1, err: e.message, text: e.text },
          'rejected a record',
        );
      counts.rejected++;
    }
    let from = 0;
    for (let i = 1; i <= metrics.length; i++) {
      if (i < metrics.length && i - from < o.batchSize && metrics[i].timeMs - metrics[from].timeMs < span)
        continue;
      counts.read += i - from;
      yield metrics.slice(from, i);
      from = i;
    }
  }
}

/** The file in pieces that end at a record boundary, with the line each starts at. */
async function* pieces(file: string, framing: ReplayFraming): AsyncGenerator<{ text: string; line: number }> {
  if (framing === 'whole') {
    const data = await fs.promises.readFile(file);
    yield { text: (/\.gz$/i.test(file) ? zlib.gunzipSync(data) : data).toString('utf8'), line: 1 };
    return;
  }
  let rest = '';
  let line = 1;
  const raw = fs.createReadStream(file, { highWaterMark: CHUNK });
  const stream = /\.gz$/i.test(file) ? raw.pipe(zlib.createGunzip({ chunkSize: CHUNK })) : raw;
  stream.setEncoding('utf8');
  raw.on('error', (e) => stream.destroy(e));
  for await (const chunk of stream) {
    const text = rest + (chunk as string);
    const cut = lastRecordEnd(text, framing === 'csv');
    if (cut === -1) {
      rest = text;
      continue;
    }
    const part = text.slice(0, cut + 1);
    rest = text.slice(cut + 1);
    yield { text: part, line };
    for (let i = part.indexOf('\n'); i !== -1; i = part.indexOf('\n', i + 1)) line++;
  }
  if (rest !== '') yield { text: rest, line };
}

/** Index of the last newline that ends a record (outside quotes for CSV), or -1. */
function lastRecordEnd(text: string, quoted: boolean): number {
  if (!quoted) return text.lastIndexOf('\n');
  let inQuotes = false;
  let last = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) inQuotes = !inQuotes;
    else if (c === 10 && !inQuotes) last = i;
  }
  return last;
}

/** Waits until every output buffer is empty, or none shrank for `stallMs`. */
async function drain(agent: Agent, stallMs: number): Promise<void> {
  let last = -1;
  let since = performance.now();
  for (;;) {
    let left = 0;
    for (const o of agent.outputs) left += o.node.buffer.length;
    if (left === 0) return;
    if (left !== last) {
      last = left;
      since = performance.now();
    } else if (performance.now() - since > stallMs) return;
    for (const o of agent.outputs) o.node.flushSoon();
    await sleep(20);
  }
}

/** Written and dropped metrics per output (name and alias), from the self-metrics. */
async function outputCounts(
  t: Telemetry,
  config: ValidConfig,
): Promise<Pick<ReplaySummary, 'written' | 'dropped'>> {
  const written: Record<string, number> = {};
  const dropped: Record<string, number> = {};
  for (const s of config.outputs)
    written[`outputs.${s.id.name}${s.id.alias !== undefined ? ':' + s.id.alias : ''}`] = 0;
  for (const m of await t.snapshot()) {
    const to =
      m.name === 'viva_output_written' ? written : m.name === 'viva_output_dropped' ? dropped : undefined;
    if (to === undefined) continue;
    const label = `outputs.${m.tags.plugin}${m.tags.alias !== undefined ? ':' + m.tags.alias : ''}`;
    to[label] = (to[label] ?? 0) + (m.fields.value as number);
  }
  return { written, dropped };
}
