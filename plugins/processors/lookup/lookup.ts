/**
 * The lookup processor: enriches metrics with tags from a CSV or JSON table keyed by tag values.
 * The table loads at create() (a missing or bad file fails the plugin); from start() the file is
 * watched, and its mtime re-checked every check_interval as a fallback. A reload that fails keeps
 * the previous table, logged and counted.
 */
import fs from 'node:fs';
import { watch, type FSWatcher } from 'chokidar';
import type { Metric } from '../../../core/model/metric/metric.ts';
import type { PluginContext, ProcessorInstance } from '../../../core/plugin/types.ts';
import type { LookupConfig } from './config.ts';
import { compileTemplate, keyOf, tagsTemplate, type KeyTemplate } from './key.ts';
import { parseTable, type Table } from './table.ts';

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** The table format of a config: explicit, or by extension. */
function formatOf(cfg: LookupConfig): 'csv' | 'json' {
  if (cfg.format !== 'auto') return cfg.format;
  return cfg.file.toLowerCase().endsWith('.json') ? 'json' : 'csv';
}

/** Loads the table file; throws with the file name when it cannot be read or parsed. */
export async function loadTable(cfg: LookupConfig): Promise<{ table: Table; stamp: string }> {
  const stat = await fs.promises.stat(cfg.file);
  const text = await fs.promises.readFile(cfg.file, 'utf8');
  try {
    return { table: parseTable(text, formatOf(cfg), cfg.key_column), stamp: `${stat.mtimeMs}:${stat.size}` };
  } catch (e) {
    throw new Error(`lookup table ${cfg.file}: ${errorText(e)}`, { cause: e });
  }
}

/** One configured lookup processor instance. */
export class Lookup implements ProcessorInstance {
  private readonly cfg: LookupConfig;
  private readonly ctx: PluginContext;
  private readonly key: KeyTemplate;
  private table: Table;
  /** mtime:size of the file last loaded (or last failed), so a check only reloads on change. */
  private stamp: string;
  private nextCheck = 0;
  private watcher: FSWatcher | undefined;
  private reloading: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private statFailed = false;
  private readonly reloadErrors: (n?: number) => void;
  private readonly reloads: (n?: number) => void;

  constructor(cfg: LookupConfig, ctx: PluginContext, loaded: { table: Table; stamp: string }) {
    this.cfg = cfg;
    this.ctx = ctx;
    this.key =
      cfg.key !== undefined ? compileTemplate(cfg.key) : tagsTemplate(cfg.key_tags ?? [], cfg.key_separator);
    this.table = loaded.table;
    this.stamp = loaded.stamp;
    this.reloadErrors = ctx.metrics.counter(
      'reload_errors',
      'Table reloads that failed (the previous table stays)',
    );
    this.reloads = ctx.metrics.counter('reloads', 'Table reloads that succeeded');
  }

  start(): void {
    this.nextCheck = this.ctx.clock.monotonic() + this.cfg.check_interval;
    // Wait for writes to settle so a half-written table is not loaded (and warned about) first.
    this.watcher = watch(this.cfg.file, {
      ignoreInitial: true,
      awaitWriteFinish: { stabilityThreshold: 100, pollInterval: 25 },
    });
    const reload = (): void => this.reload();
    this.watcher.on('add', reload).on('change', reload);
    this.watcher.on('error', (e) =>
      this.ctx.log.warn({ file: this.cfg.file, err: errorText(e) }, 'lookup table watch failed'),
    );
  }

  process(metrics: Metric[]): Metric[] {
    const now = this.ctx.clock.monotonic();
    if (now >= this.nextCheck) {
      this.nextCheck = now + this.cfg.check_interval;
      this.check();
    }
    const { table, key, cfg } = this;
    for (const m of metrics) {
      const k = keyOf(key, m);
      if (k === null) continue;
      const row = table.get(k);
      if (row === undefined) continue;
      for (const [tag, value] of row) if (cfg.overwrite || !Object.hasOwn(m.tags, tag)) m.tags[tag] = value;
    }
    return metrics;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.watcher?.close();
    await this.reloading;
  }

  /** Reloads when the file's mtime or size differs from the last load. */
  private check(): void {
    fs.stat(this.cfg.file, (err, st) => {
      if (this.stopped) return;
      if (err !== null) {
        if (!this.statFailed)
          this.ctx.log.warn(
            { file: this.cfg.file, err: err.message },
            'lookup table unreadable; keeping the previous table',
          );
        this.statFailed = true;
        return;
      }
      this.statFailed = false;
      if (`${st.mtimeMs}:${st.size}` !== this.stamp) this.reload();
    });
  }

  /** Starts a reload, or queues one more when a reload is running. */
  private reload(): void {
    if (this.stopped) return;
    if (this.reloading !== undefined) {
      this.again = true;
      return;
    }
    this.reloading = this.load().finally(() => {
      this.reloading = undefined;
      if (this.again) {
        this.again = false;
        this.reload();
      }
    });
  }

  private async load(): Promise<void> {
    try {
      const loaded = await loadTable(this.cfg);
      if (this.stopped) return;
      this.table = loaded.table;
      this.stamp = loaded.stamp;
      this.reloads();
      this.ctx.log.info({ file: this.cfg.file, rows: loaded.table.size }, 'lookup table reloaded');
    } catch (e) {
      if (this.stopped) return;
      // Remember the broken version so the mtime check does not retry it until it changes again.
      const st = await fs.promises.stat(this.cfg.file).catch(() => undefined);
      if (st !== undefined) this.stamp = `${st.mtimeMs}:${st.size}`;
      this.reloadErrors();
      this.ctx.log.warn(
        { file: this.cfg.file, err: errorText(e) },
        'lookup table reload failed; keeping the previous table',
      );
    }
  }
}
