/**
 * The tail input: follows files (paths or globs) by polling, through logrotate-style rename +
 * create (the renamed file is drained to its end from the open handle, the new one read from
 * its start) and copytruncate (a file that shrinks is read again from its start). Lines are
 * parsed per read and pushed as one batch per file and poll; the position saved in the state
 * directory moves only after a batch is acknowledged, so a restart neither re-reads delivered
 * lines nor skips undelivered ones.
 */
import fs from 'node:fs';
import type { Parser } from '../../../core/format/types.ts';
import { recordParser } from '../../../core/lib/listen/format.ts';
import type { Metric } from '../../../core/model/metric/metric.ts';
import type { Accumulator, InputInstance, PluginContext } from '../../../core/plugin/types.ts';
import type { TailConfig } from './config.ts';
import { Follower } from './follower.ts';
import { PositionStore } from './positions.ts';

/** A rotated-away file is closed after this long without new data. */
const ROTATED_QUIET_MS = 5000;

const errText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export class TailInput implements InputInstance {
  private readonly cfg: TailConfig;
  private readonly ctx: PluginContext;
  private readonly parser: Parser;
  private readonly store: PositionStore;
  /** Followed files by path. */
  private readonly files = new Map<string, Follower>();
  /** Files renamed away by rotation, drained until quiet. */
  private rotated: Follower[] = [];
  private acc: Accumulator | undefined;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | null = null;
  private stopped = false;
  private firstScan = true;
  /** A file had more than max_batch_bytes waiting: poll again at once, not after the interval. */
  private backlog = false;

  constructor(cfg: TailConfig, ctx: PluginContext) {
    this.cfg = cfg;
    this.ctx = ctx;
    this.parser = recordParser(cfg.data_format, cfg.precision, { ...cfg, measurement: 'tail' });
    this.store = new PositionStore(ctx.stateDir, (e) =>
      ctx.log.warn({ err: errText(e) }, 'could not save tail positions'),
    );
  }

  async start(acc: Accumulator): Promise<void> {
    this.acc = acc;
    this.store.load();
    await this.poll();
  }

  private schedule(): void {
    if (this.stopped) return;
    const delay = this.backlog ? 0 : this.cfg.poll_interval;
    this.backlog = false;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.polling = this.poll().finally(() => {
        this.polling = null;
      });
    }, delay);
  }

  /** One round: find files, read what is new, handle rotation and truncation. */
  private async poll(): Promise<void> {
    const acc = this.acc;
    if (acc === undefined || this.stopped) return;
    try {
      // Under pushback nothing is read; the files wait on disk, which is the best buffer.
      if (acc.saturated) return this.schedule();
      for (const p of await this.expand()) if (!this.files.has(p)) await this.follow(p);
      this.firstScan = false;
      for (const f of [...this.files.values()]) await this.check(f, acc);
      for (const f of this.rotated) await this.drain(f, acc);
      await this.closeQuietRotated();
    } catch (e) {
      this.ctx.log.warn({ err: errText(e) }, 'tail poll failed');
    }
    this.schedule();
  }

  /** Paths matching the configured globs now. */
  private async expand(): Promise<string[]> {
    const out = new Set<string>();
    for (const pattern of this.cfg.files) {
      if (!/[*?[{]/.test(pattern)) {
        out.add(pattern);
        continue;
      }
      for await (const p of fs.promises.glob(pattern)) out.add(p);
    }
    return [...out];
  }

  /** Starts following a path (quietly skipped while it does not exist). */
  private async follow(path: string): Promise<void> {
    let st: fs.Stats;
    try {
      st = await fs.promises.stat(path);
    } catch {
      return;
    }
    if (!st.isFile()) return;
    const saved = this.store.lookup(path, st.dev, st.ino);
    // A saved file resumes; one replaced while we were away, or new since start, is read whole.
    let offset: number | 'end';
    if (saved?.sameFile === true) offset = saved.position.offset;
    else if (saved !== undefined || !this.firstScan) offset = 0;
    else offset = this.cfg.from_beginning ? 0 : 'end';
    try {
      const f = await Follower.open(
        path,
        offset,
        this.store,
        this.cfg.max_line_length,
        this.cfg.data_format === 'influx',
      );
      this.files.set(path, f);
      this.ctx.log.debug({ path, offset: f.offset }, 'following file');
    } catch (e) {
      this.ctx.log.warn({ path, err: errText(e) }, 'cannot open file');
    }
  }

  /** Reads new data of a followed file, then looks for rotation or truncation. */
  private async check(f: Follower, acc: Accumulator): Promise<void> {
    await this.drain(f, acc);
    let st: fs.Stats | undefined;
    try {
      st = await fs.promises.stat(f.path);
    } catch {
      st = undefined;
    }
    if (st === undefined || st.ino !== f.ino || st.dev !== f.dev) {
      // Renamed (or deleted): keep draining the old handle; a new file at the path is new data.
      this.files.delete(f.path);
      this.rotated.push(f);
      this.ctx.log.info({ path: f.path }, 'file rotated');
      if (st !== undefined) await this.follow(f.path);
      return;
    }
    if ((await f.size()) < f.offset) {
      this.ctx.log.info({ path: f.path }, 'file truncated; reading it again from the start');
      f.truncated();
      await this.drain(f, acc);
    }
  }

  /** Reads up to max_batch_bytes of new lines and pushes them as one batch. */
  private async drain(f: Follower, acc: Accumulator): Promise<void> {
    const metrics: Metric[] = [];
    let read = 0;
    let overlong = 0;
    let bad = 0;
    let firstError = '';
    const defaultTime: [number, number] = [this.ctx.clock.now(), 0];
    for (;;) {
      if (read >= this.cfg.max_batch_bytes) {
        this.backlog = true;
        break;
      }
      const chunk = await f.readChunk();
      if (chunk === null) break;
      read += chunk.length;
      const r = f.split(chunk);
      overlong += r.overlong;
      for (const region of r.regions) {
        const p = this.parser.parse(region, { defaultTime });
        for (const m of p.metrics) metrics.push(m);
        if (p.errors.length > 0) {
          bad += p.errors.length;
          if (firstError === '') firstError = p.errors[0].message;
        }
      }
    }
    if (overlong > 0) acc.reject('line longer than max_line_length', { path: f.path }, overlong);
    if (bad > 0) acc.reject('invalid line', { path: f.path, first: firstError }, bad);
    const tag = this.cfg.path_tag;
    if (tag !== '') for (const m of metrics) m.tags[tag] = f.path;
    const ack = f.queue(metrics.length === 0);
    if (metrics.length > 0) acc.push(metrics, ack ?? undefined);
  }

  private async closeQuietRotated(): Promise<void> {
    const now = performance.now();
    const keep: Follower[] = [];
    for (const f of this.rotated) {
      if (now - f.lastData < ROTATED_QUIET_MS) keep.push(f);
      else await f.close(true);
    }
    this.rotated = keep;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.polling !== null) await this.polling;
    for (const f of this.files.values()) await f.close(false);
    for (const f of this.rotated) await f.close(false);
    this.files.clear();
    this.rotated = [];
    await this.store.flush();
  }
}
