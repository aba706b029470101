/**
 * Runs a list of SQL queries on a driver on every gather: each query at most once per its own
 * interval, incremental queries from their high-water mark. A failing query is counted and
 * logged (throttled) and does not stop the others; the gather then fails naming each, so the
 * input's error count rises. Rows become metrics (see rows.ts); a mark is persisted once the rows
 * up to it were delivered.
 */
import { createHash } from 'node:crypto';
import { LogThrottle } from '../../engine/telemetry/log-throttle.ts';
import { ErrorCode, VivaError } from '../../model/errors/index.ts';
import type { Metric } from '../../model/metric/metric.ts';
import type { Accumulator, PluginContext } from '../../plugin/types.ts';
import type { Cell, SqlDriver } from './driver.ts';
import { cellMark, compareMarks, MarkStore, type Mark } from './marks.ts';
import { MARK_TOKEN, type SqlQueryConfig } from './query.ts';
import { rowsToMetrics } from './rows.ts';

/** File of the marks in the instance's state directory. */
export const MARKS_FILE = 'sql-marks.json';

interface QueryState {
  q: SqlQueryConfig;
  key: string;
  /** Monotonic ms of the last run; -Infinity before the first. */
  lastRun: number;
  /** Mark of the rows read so far (delivered or not). */
  mark: Mark | undefined;
}

/** What the runner needs besides the queries. */
export interface RunnerOptions {
  driver: () => SqlDriver;
  queryTimeoutMs: number;
  extraTags: Record<string, string>;
  /**
   * Which database this is (driver, user, host, port, database; never the password), part of each
   * mark's key: two instances sharing a state directory keep apart, a new password keeps the marks.
   */
  source: string;
}

/** The query runner of one plugin instance. */
export class SqlRunner {
  private readonly ctx: PluginContext;
  private readonly opts: RunnerOptions;
  private readonly states: QueryState[];
  private readonly errorLog: LogThrottle;
  private readonly countError: (value?: number, attrs?: Record<string, string>) => void;
  private store: MarkStore | undefined;
  private running: Promise<void> | undefined;

  constructor(queries: SqlQueryConfig[], ctx: PluginContext, opts: RunnerOptions) {
    this.ctx = ctx;
    this.opts = opts;
    this.errorLog = new LogThrottle(ctx.log);
    this.countError = ctx.metrics.counter('query_errors', 'SQL queries that failed, by measurement');
    this.states = queries.map((q) => ({
      q,
      key: `${q.measurement}:${createHash('sha256').update(`${opts.source}\n${q.sql}`).digest('hex').slice(0, 16)}`,
      lastRun: -Infinity,
      mark: undefined,
    }));
  }

  /** The persisted marks, read on first use (only incremental queries need the state directory). */
  private marks(): MarkStore {
    if (this.store === undefined) {
      const store = new MarkStore(this.ctx.stateDir, MARKS_FILE);
      store.load();
      this.store = store;
      for (const s of this.states) s.mark = store.get(s.key);
    }
    return this.store;
  }

  /**
   * Runs every query that is due. A gather the agent gave up on (its timeout) still runs to its
   * end; until then a new gather does nothing, since two runs of an incremental query from the
   * same mark would read the same rows twice.
   */
  async gather(acc: Accumulator): Promise<void> {
    if (this.running !== undefined) {
      this.errorLog.warn('overlap', {}, 'previous SQL queries still running; skipping this gather');
      return;
    }
    const run = this.runAll(acc);
    this.running = run;
    try {
      await run;
    } finally {
      this.running = undefined;
    }
  }

  private async runAll(acc: Accumulator): Promise<void> {
    const failed: string[] = [];
    for (const s of this.states) {
      const now = this.ctx.clock.monotonic();
      if (s.q.interval !== undefined && now - s.lastRun < s.q.interval) continue;
      s.lastRun = now;
      try {
        await this.runOne(s, acc);
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        const code = (e as { code?: unknown }).code;
        this.countError(1, { measurement: s.q.measurement });
        this.errorLog.warn(
          `query:${s.key}`,
          { measurement: s.q.measurement, code, err: msg },
          'SQL query failed',
        );
        failed.push(`${s.q.measurement}: ${msg}`);
      }
    }
    if (failed.length > 0) throw new VivaError(ErrorCode.SQL, `query failed: ${failed.join('; ')}`);
  }

  private async runOne(s: QueryState, acc: Accumulator): Promise<void> {
    const driver = this.opts.driver();
    let sql = s.q.sql;
    const params: Cell[] = [];
    if (s.q.mark_column !== undefined) {
      if (s.mark === undefined) s.mark = this.marks().get(s.key);
      const mark = s.mark ?? s.q.mark_start;
      const parts = sql.split(MARK_TOKEN);
      sql = parts.reduce((text, part, i) => (i === 0 ? part : text + driver.placeholder(i - 1) + part), '');
      for (let i = 1; i < parts.length; i++) params.push(mark);
    }
    const result = await driver.query(sql, params, this.opts.queryTimeoutMs);
    const conv = rowsToMetrics(result, s.q, this.opts.extraTags, this.ctx.clock.now());
    if (conv.empty > 0)
      acc.reject('row without any field value', { measurement: s.q.measurement }, conv.empty);
    if (conv.badTime > 0)
      acc.reject('time column not a time; stamped now', { measurement: s.q.measurement }, conv.badTime);
    const next = s.q.mark_column === undefined ? undefined : this.nextMark(s, result.columns, result.rows);
    if (next === undefined) {
      if (conv.metrics.length > 0) acc.push(conv.metrics);
      return;
    }
    s.mark = next;
    const store = this.marks();
    const save = (): void => {
      try {
        store.save(s.key, next);
      } catch (e) {
        this.errorLog.warn(`save:${s.key}`, { err: (e as Error).message }, 'could not save the SQL mark');
      }
    };
    // Rows that became no metric still move the mark: there is nothing to deliver for them.
    if (conv.metrics.length === 0) save();
    else this.push(acc, conv.metrics, save);
  }

  private push(acc: Accumulator, metrics: Metric[], onDelivered: () => void): void {
    acc.push(metrics, (delivered) => {
      if (delivered) onDelivered();
    });
  }

  private nextMark(s: QueryState, columns: { name: string }[], rows: Cell[][]): Mark | undefined {
    const i = columns.findIndex((c) => c.name === s.q.mark_column);
    if (i === -1) {
      if (rows.length > 0) throw new Error(`mark column "${s.q.mark_column}" is not in the result`);
      return undefined;
    }
    let best = s.mark;
    let moved = false;
    for (const row of rows) {
      const m = cellMark(row[i]);
      if (m !== undefined && (best === undefined || compareMarks(m, best) > 0)) {
        best = m;
        moved = true;
      }
    }
    return moved ? best : undefined;
  }
}
