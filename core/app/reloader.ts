/**
 * Live reload triggers and bookkeeping: config file/directory changes (chokidar, debounced),
 * SIGHUP and POST /admin/reload. Reloads run one at a time; a request during a reload runs once
 * more afterwards. An invalid config leaves the running pipeline untouched; the reason is logged,
 * counted and shown on /health.
 */
import type { FSWatcher } from 'chokidar';
import type { Logger } from 'pino';
import type { ValidConfig } from '../config/validate.ts';
import { ErrorCode } from '../model/errors/codes.ts';
import { ConfigError, VivaError } from '../model/errors/errors.ts';
import type { Telemetry } from '../engine/telemetry/telemetry.ts';
import type { ReloadSummary } from './reconfigure.ts';

/** What a reload applies a new config to: the agent, or the collector. */
export interface Reconfigurable {
  readonly config: ValidConfig;
  apply(next: ValidConfig): Promise<ReloadSummary>;
}

export type ReloadResult =
  { result: 'success'; summary: ReloadSummary } | { result: 'invalid' | 'failed'; error: string };

export class Reloader {
  private readonly target: Reconfigurable;
  private readonly load: () => Promise<ValidConfig>;
  private readonly log: Logger;
  private readonly telemetry: Telemetry;
  private watcher: FSWatcher | undefined;
  private stopped = false;
  private debounce: NodeJS.Timeout | undefined;
  private running: Promise<ReloadResult> | null = null;
  private again = false;
  private readonly onHup = (): void => void this.reload('SIGHUP');
  /** The last failed reload's reason, shown on /health until a reload succeeds. */
  lastError: string | undefined;
  /** The code of lastError (served on /health without the admin token, unlike the text). */
  lastErrorCode: string | undefined;
  count = 0;

  constructor(opts: {
    target: Reconfigurable;
    load: () => Promise<ValidConfig>;
    log: Logger;
    telemetry: Telemetry;
  }) {
    this.target = opts.target;
    this.load = opts.load;
    this.log = opts.log;
    this.telemetry = opts.telemetry;
  }

  /**
   * Starts the triggers: SIGHUP always, file watching when `watchPath` is given (chokidar is
   * imported only then: an agent with `watch_config = false` does not hold it).
   */
  async start(watchPath: string | undefined): Promise<void> {
    process.on('SIGHUP', this.onHup);
    if (watchPath === undefined) return;
    const { watch } = await import('chokidar');
    if (this.stopped) return;
    this.watcher = watch(watchPath, {
      ignoreInitial: true,
      awaitWriteFinish: { stabilityThreshold: 100, pollInterval: 25 },
    });
    this.watcher.on('all', (event, file) => {
      if (!file.endsWith('.toml') && event !== 'change') return;
      if (this.debounce !== undefined) clearTimeout(this.debounce);
      this.debounce = setTimeout(() => void this.reload('file'), 200);
    });
    this.watcher.on('error', (e) =>
      this.log.warn({ err: e instanceof Error ? e.message : String(e) }, 'config watcher error'),
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    process.off('SIGHUP', this.onHup);
    if (this.debounce !== undefined) clearTimeout(this.debounce);
    await this.watcher?.close();
    if (this.running !== null) await this.running;
  }

  /** Runs a reload (or joins the one under way and runs once more after it). */
  reload(trigger: string): Promise<ReloadResult> {
    if (this.running !== null) {
      this.again = true;
      return this.running;
    }
    this.running = this.run(trigger).finally(() => {
      this.running = null;
      if (this.again) {
        this.again = false;
        void this.reload(trigger);
      }
    });
    return this.running;
  }

  private record(result: ReloadResult['result']): void {
    this.count++;
    this.telemetry.counter('viva_config_reloads', 'Config reloads by result').add(1, { result });
    this.telemetry
      .gauge('viva_config_last_reload_success', '1 when the last reload succeeded')
      .set(result === 'success' ? 1 : 0, {});
    this.telemetry
      .gauge('viva_config_last_reload_timestamp_seconds', 'Time of the last reload')
      .set(Date.now() / 1000, {});
  }

  private async run(trigger: string): Promise<ReloadResult> {
    let next: ValidConfig;
    try {
      next = await this.load();
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      this.lastError = error;
      this.lastErrorCode = e instanceof VivaError ? e.code : ErrorCode.CONFIG_INVALID;
      this.record('invalid');
      if (e instanceof ConfigError)
        this.telemetry
          .counter('viva_config_errors', 'Problems found in rejected configs')
          .add(e.issues.length);
      this.log.error(
        { trigger, errors: error.split('\n') },
        'new config is invalid; the running pipeline goes on unchanged',
      );
      return { result: 'invalid', error };
    }
    if (next.hash === this.target.config.hash) {
      this.log.info({ trigger }, 'config unchanged; nothing to reload');
      this.lastError = undefined;
      this.lastErrorCode = undefined;
      this.record('success');
      return { result: 'success', summary: { kept: [], started: [], replaced: [], stopped: [] } };
    }
    try {
      const summary = await this.target.apply(next);
      this.lastError = undefined;
      this.lastErrorCode = undefined;
      this.record('success');
      this.log.info({ trigger, ...summary }, 'config reloaded');
      return { result: 'success', summary };
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      this.lastError = error;
      this.lastErrorCode = e instanceof VivaError ? e.code : ErrorCode.PLUGIN_START;
      this.record('failed');
      return { result: 'failed', error };
    }
  }
}
