/**
 * The execd output: writes each batch as line protocol to a long-running program's stdin. The
 * program is restarted with backoff when it dies; meanwhile writes fail as retryable so the
 * core keeps the batches buffered and retries them.
 */
import { WriteError } from '../../../core/model/errors/errors.ts';
import { serializeLineProtocol } from '../../../core/format/lineprotocol/index.ts';
import type { Metric } from '../../../core/model/metric/metric.ts';
import type { OutputInstance, PluginContext } from '../../../core/plugin/types.ts';
import { Child } from '../../../core/lib/exec/child.ts';
import type { ExecdOutputConfig } from './config.ts';

/** How long a closing child may take to finish what it read before it is terminated. */
const CLOSE_GRACE_MS = 5000;

export class ExecdOutput implements OutputInstance {
  private readonly cfg: ExecdOutputConfig;
  private readonly child: Child;

  constructor(cfg: ExecdOutputConfig, ctx: PluginContext) {
    this.cfg = cfg;
    const restarts = ctx.metrics.counter('restarts', 'Times the execd child process was restarted');
    this.child = new Child(
      {
        command: cfg.command,
        env: cfg.env,
        restartDelayMs: cfg.restart_delay,
        restartDelayMaxMs: cfg.restart_delay_max,
        stdout: 'ignore',
      },
      ctx.log,
      { onRestart: () => restarts() },
    );
  }

  connect(): Promise<void> {
    this.child.start();
    return Promise.resolve();
  }

  async write(metrics: Metric[]): Promise<void> {
    if (!this.child.running)
      throw WriteError.retryable('execd child is not running (waiting for its restart)');
    try {
      await this.child.write(serializeLineProtocol(metrics, this.cfg.precision).data);
    } catch (e) {
      throw WriteError.retryable(
        `writing to the execd child failed: ${e instanceof Error ? e.message : String(e)}`,
        {
          cause: e,
        },
      );
    }
  }

  async close(): Promise<void> {
    await this.child.stop(CLOSE_GRACE_MS);
  }
}
