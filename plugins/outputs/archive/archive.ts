/**
 * The archive output: metrics appended to the open period's line protocol file (fsynced before a
 * write counts as done), and at the end of each period turned into finished files — gzip line
 * protocol and Parquet — listed in the stream's manifest; finished files older than `max_age` are
 * deleted. See docs/ARCHIVE.md.
 *
 * Periods are metric time, cut at multiples of `period` since the epoch (UTC): the 14:00 file holds
 * the metrics of 14:00 to 15:00. A period is finished once the clock (the context's: wall time
 * live, event time in a replay) passes its end plus `grace`; a metric arriving later for a finished
 * period opens a new part of it (a file is finished once and never reopened). At most
 * `max_open_periods` are open at once: a backfill over many periods finishes the oldest first.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { serializeLineProtocol } from '../../../core/format/lineprotocol/index.ts';
import { isTempName, readManifest, type ArchiveFormat } from '../../../core/lib/archive/manifest.ts';
import { ErrorCode } from '../../../core/model/errors/codes.ts';
import type { Metric } from '../../../core/model/metric/metric.ts';
import type { Clock, OutputInstance, PluginContext } from '../../../core/plugin/types.ts';
import type { ArchiveConfig } from './config.ts';
import {
  FinishWorker,
  OPEN_DIR,
  openFileName,
  parseOpenFileName,
  pruneOlderThan,
  type OpenName,
  type OpenStats,
} from './finalize.ts';

interface OpenPeriod extends OpenName {
  fd: number;
  path: string;
  bytes: number;
  /** What was appended by this run (lines and metric time range), so lp_gz alone needs no parse. */
  stats: OpenStats;
}

/** The instance writing each stream directory in this process. */
const WRITERS = new Map<string, ArchiveOutput>();

/** The longest wait between two checks for periods to finish. */
const TICK_MAX_MS = 10_000;

type Ctx = Pick<PluginContext, 'log' | 'clock' | 'metrics' | 'id'> & { readonly stateDir: string };

/** The stream name: configured, else the alias, else "archive". */
export function streamName(cfg: ArchiveConfig, alias: string | undefined): string {
  if (cfg.stream !== '') return cfg.stream;
  return alias !== undefined && /^[A-Za-z0-9_.-]+$/.test(alias) ? alias : 'archive';
}

export class ArchiveOutput implements OutputInstance {
  readonly stream: string;
  private dir: string | undefined;
  private readonly ctx: Ctx;
  private readonly cfg: ArchiveConfig;
  private readonly clock: Clock;
  private readonly log: Logger;
  /** Open periods by period start. */
  private readonly open = new Map<number, OpenPeriod>();
  /** Highest part number used per period start, so a new part never takes a finished one's name. */
  private readonly parts = new Map<number, number>();
  /** Writes, rotations and prunes run one at a time. */
  private queue: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private connected = false;
  private closed = false;
  private readonly worker = new FinishWorker();
  private readonly count: {
    files: (v?: number, a?: Record<string, string>) => void;
    rows: (v?: number, a?: Record<string, string>) => void;
    bytes: (v?: number, a?: Record<string, string>) => void;
    deleted: (v?: number, a?: Record<string, string>) => void;
    recovered: (v?: number) => void;
    failures: (v?: number) => void;
    seconds: (v: number, a?: Record<string, string>) => void;
  };

  constructor(cfg: ArchiveConfig, ctx: Ctx) {
    this.cfg = cfg;
    this.clock = ctx.clock;
    this.log = ctx.log;
    this.stream = streamName(cfg, ctx.id.alias);
    this.ctx = ctx;
    const m = ctx.metrics;
    this.count = {
      files: m.counter('files', 'Archive files finished, by format'),
      rows: m.counter('rows', 'Metrics in finished archive files, by format'),
      bytes: m.counter('bytes', 'Bytes of finished archive files, by format'),
      deleted: m.counter('deleted_files', 'Archive files deleted by max_age, by format'),
      recovered: m.counter('recovered_periods', 'Open periods left by a crash, finished at start'),
      failures: m.counter('finish_failures', 'Periods that could not be finished (retried)'),
      seconds: m.histogram('finish_duration', 'Time to finish one period (all formats)'),
    };
  }

  /** `<dir>/<stream>`; the default dir (in the state directory) is created only when first used. */
  get streamDir(): string {
    this.dir ??= path.resolve(
      this.cfg.dir !== '' ? this.cfg.dir : path.join(this.ctx.stateDir, 'archive'),
      this.stream,
    );
    return this.dir;
  }

  async connect(): Promise<void> {
    if (this.connected) return;
    // One writer per stream: a reload that starts the new instance before the old one closed
    // (or two outputs given the same dir and stream) would finish each other's open files.
    const holder = WRITERS.get(this.streamDir);
    if (holder !== undefined && holder !== this)
      throw new Error(`archive stream ${this.streamDir} is in use by another archive output`);
    WRITERS.set(this.streamDir, this);
    fs.mkdirSync(path.join(this.streamDir, OPEN_DIR), { recursive: true });
    removeTemps(this.streamDir);
    for (const e of readManifest(this.streamDir, this.stream).files)
      this.parts.set(e.period_start, Math.max(this.parts.get(e.period_start) ?? 0, e.part));
    await this.serial(() => this.recover());
    await this.serial(() => this.pruneNow());
    this.connected = true;
    this.schedule();
  }

  async write(metrics: Metric[]): Promise<void> {
    // A write that outlived close() (a stop past its grace) must not reopen the stream: it fails,
    // and the data stays where it came from (the spool, the buffer).
    if (this.closed) throw new Error('archive output is closed');
    if (!this.connected) await this.connect();
    await this.serial(async () => {
      const groups = this.byPeriod(metrics);
      const touched: [OpenPeriod, number, OpenStats][] = [];
      try {
        for (const [start, group] of groups) {
          const open = this.open.get(start) ?? this.openPeriod(start);
          touched.push([open, open.bytes, { ...open.stats }]);
          const enc = serializeLineProtocol(group);
          fs.writeSync(open.fd, enc.data);
          open.bytes += enc.data.length;
          const st = open.stats;
          st.rows += group.length - enc.skippedMetrics;
          for (const m of group) {
            if (m.timeMs < st.min) st.min = m.timeMs;
            if (m.timeMs > st.max) st.max = m.timeMs;
          }
        }
        if (this.cfg.fsync) for (const [open] of touched) fs.fsyncSync(open.fd);
      } catch (e) {
        // Cut back what part of the batch got in, so its retry neither doubles nor tears a line.
        for (const [open, size, stats] of touched) {
          fs.ftruncateSync(open.fd, size);
          open.bytes = size;
          open.stats = stats;
        }
        throw e;
      }
      for (const [open] of touched) if (open.bytes >= this.cfg.max_file_size) await this.finish(open);
      // Bounded open files: a backfill over many periods finishes the oldest first.
      while (this.open.size > this.cfg.max_open_periods) await this.finish(this.oldestOpen());
    });
  }

  /** Finishes the periods that are over (end + grace) and deletes files past max_age (the timer calls it). */
  async maintain(): Promise<void> {
    await this.serial(async () => {
      const now = this.clock.now();
      for (const open of [...this.open.values()])
        if (open.periodEnd + this.cfg.grace <= now) await this.finish(open);
      this.pruneNow();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.connected = false;
    // What the open periods hold is finished now: a stopped archive leaves only finished files.
    await this.serial(async () => {
      for (const open of [...this.open.values()]) await this.finish(open);
    });
    await this.worker.close();
    if (this.dir !== undefined && WRITERS.get(this.dir) === this) WRITERS.delete(this.dir);
  }

  private serial<T>(fn: () => T | Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** The metrics grouped by the period their time falls in. */
  private byPeriod(metrics: Metric[]): Map<number, Metric[]> {
    const p = this.cfg.period;
    const groups = new Map<number, Metric[]>();
    for (const m of metrics) {
      const start = Math.floor(m.timeMs / p) * p;
      const g = groups.get(start);
      if (g === undefined) groups.set(start, [m]);
      else g.push(m);
    }
    return groups;
  }

  private oldestOpen(): OpenPeriod {
    let oldest: OpenPeriod | undefined;
    for (const o of this.open.values())
      if (oldest === undefined || o.periodStart < oldest.periodStart) oldest = o;
    return oldest as OpenPeriod;
  }

  /** Checks for periods to finish every period, at most every 10 s. */
  private schedule(): void {
    this.timer = setTimeout(
      () => {
        this.maintain().then(
          () => {
            if (this.connected) this.schedule();
          },
          (e: unknown) => {
            this.log.warn({ code: ErrorCode.ARCHIVE, err: (e as Error).message }, 'archive rotation failed');
            if (this.connected) this.schedule();
          },
        );
      },
      Math.min(this.cfg.period, TICK_MAX_MS),
    );
    this.timer.unref();
  }

  private openPeriod(periodStart: number): OpenPeriod {
    const part = (this.parts.get(periodStart) ?? 0) + 1;
    this.parts.set(periodStart, part);
    const name = { periodStart, periodEnd: periodStart + this.cfg.period, part };
    const file = path.join(this.streamDir, OPEN_DIR, openFileName(name));
    const fd = fs.openSync(file, 'a');
    const open = {
      ...name,
      fd,
      path: file,
      bytes: fs.fstatSync(fd).size,
      stats: { rows: 0, min: Infinity, max: -Infinity },
    };
    this.open.set(periodStart, open);
    return open;
  }

  /** Closes and finishes an open period. */
  private async finish(open: OpenPeriod): Promise<void> {
    this.open.delete(open.periodStart);
    fs.closeSync(open.fd);
    await this.finishFile(open.path, open);
  }

  private async finishFile(file: string, o: OpenName): Promise<void> {
    const started = performance.now();
    try {
      const done = await this.worker.finish(file, o, {
        streamDir: this.streamDir,
        stream: this.stream,
        formats: this.cfg.formats as ArchiveFormat[],
        gzipLevel: this.cfg.gzip_level,
        timeUnit: this.cfg.parquet_time_unit,
        now: this.clock.now(),
      });
      for (const e of done.entries) {
        this.count.files(1, { format: e.format });
        this.count.rows(e.rows, { format: e.format });
        this.count.bytes(e.bytes, { format: e.format });
      }
      this.count.seconds((performance.now() - started) / 1000);
      if (done.rows > 0)
        this.log.info(
          { stream: this.stream, files: done.entries.map((e) => e.file), rows: done.rows },
          'archived',
        );
    } catch (e) {
      // The open file stays: it is finished at the next start (or the next rotation attempt).
      this.count.failures(1);
      this.log.error(
        { code: ErrorCode.ARCHIVE, file, err: (e as Error).message },
        'archive period could not be finished; kept for the next start',
      );
    }
  }

  /** Finishes every open file a previous run left (a crash, or a failed finish). */
  private async recover(): Promise<void> {
    const dir = path.join(this.streamDir, OPEN_DIR);
    for (const name of fs.readdirSync(dir).sort()) {
      const o = parseOpenFileName(name);
      if (o === undefined) continue;
      this.parts.set(o.periodStart, Math.max(this.parts.get(o.periodStart) ?? 0, o.part));
      this.count.recovered(1);
      this.log.warn(
        { stream: this.stream, file: name },
        'finishing an open archive period left by a previous run',
      );
      await this.finishFile(path.join(dir, name), o);
    }
  }

  private pruneNow(): void {
    if (this.cfg.max_age <= 0) return;
    const gone = pruneOlderThan(this.streamDir, this.stream, this.clock.now() - this.cfg.max_age);
    for (const e of gone) this.count.deleted(1, { format: e.format });
    if (gone.length > 0)
      this.log.info(
        { stream: this.stream, files: gone.length, max_age_ms: this.cfg.max_age },
        'deleted old archive files',
      );
  }
}

/** Removes temp files an interrupted write left (never a finished file: those have no temp name). */
function removeTemps(dir: string): void {
  for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, ent.name);
    if (ent.isDirectory() && ent.name !== OPEN_DIR) removeTemps(p);
    else if (ent.isFile() && isTempName(ent.name)) fs.rmSync(p, { force: true });
  }
}
