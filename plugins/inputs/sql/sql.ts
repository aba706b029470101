/**
 * The sql input: configured queries against PostgreSQL, MySQL/MariaDB or SQLite on every gather,
 * each row a metric; incremental queries read on from their high-water mark.
 */
import { LogThrottle } from '../../../core/engine/telemetry/log-throttle.ts';
import type { SqlDriver } from '../../../core/lib/sql/driver.ts';
import { SqlRunner } from '../../../core/lib/sql/runner.ts';
import type { Accumulator, InputInstance, PluginContext } from '../../../core/plugin/types.ts';
import type { SqlConfig } from './config.ts';
import { openDriver, sourceOf } from './connect.ts';

export class SqlInput implements InputInstance {
  private readonly cfg: SqlConfig;
  private readonly runner: SqlRunner;
  private readonly idleLog: LogThrottle;
  private driver: SqlDriver | undefined;

  constructor(cfg: SqlConfig, ctx: PluginContext) {
    this.cfg = cfg;
    this.idleLog = new LogThrottle(ctx.log);
    this.runner = new SqlRunner(cfg.query, ctx, {
      driver: () => (this.driver ??= openDriver(this.cfg, (e) => this.onIdleError(e))),
      queryTimeoutMs: cfg.query_timeout,
      extraTags: {},
      source: sourceOf(cfg),
    });
  }

  private onIdleError(e: Error): void {
    this.idleLog.warn('idle', { err: e.message }, 'database connection lost; reconnecting on the next query');
  }

  gather(acc: Accumulator): Promise<void> {
    return this.runner.gather(acc);
  }

  async stop(): Promise<void> {
    const d = this.driver;
    this.driver = undefined;
    await d?.close();
  }
}
