/**
 * The postgresql input: the PostgreSQL flavour of the sql input, on the same driver (`pg`) and
 * query runner, with its server statistics (pg_stat_database) as the query when none is
 * configured, and the address as a libpq-style URL.
 */
import type { SqlConnectOptions } from '../../../core/lib/sql/driver.ts';
import { PgDriver } from '../../../core/lib/sql/pg.ts';
import { SqlRunner } from '../../../core/lib/sql/runner.ts';
import { LogThrottle } from '../../../core/engine/telemetry/log-throttle.ts';
import type { Accumulator, InputInstance, PluginContext } from '../../../core/plugin/types.ts';
import { DEFAULT_QUERY, type PostgresqlConfig } from './config.ts';
import { connectOptions } from './connect.ts';

export class PostgresqlInput implements InputInstance {
  private readonly cfg: PostgresqlConfig;
  private readonly runner: SqlRunner;
  private readonly idleLog: LogThrottle;
  private readonly options: SqlConnectOptions;
  private driver: PgDriver | undefined;

  constructor(cfg: PostgresqlConfig, ctx: PluginContext) {
    this.cfg = cfg;
    this.options = connectOptions(cfg);
    this.idleLog = new LogThrottle(ctx.log);
    const o = this.options;
    this.runner = new SqlRunner(cfg.query.length > 0 ? cfg.query : [DEFAULT_QUERY], ctx, {
      driver: () =>
        (this.driver ??= new PgDriver(o, cfg.query_timeout, (e) =>
          this.idleLog.warn(
            'idle',
            { err: e.message },
            'database connection lost; reconnecting on the next query',
          ),
        )),
      queryTimeoutMs: cfg.query_timeout,
      extraTags: cfg.server_tag ? { server: `${o.host}:${o.port}` } : {},
      source: `postgres://${o.user}@${o.socketPath ?? `${o.host}:${o.port}`}/${o.database}`,
    });
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
