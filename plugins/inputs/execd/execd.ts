/**
 * The execd input: runs a long-lived program and reads line protocol from its stdout, whenever
 * the program writes it. The program is restarted with backoff when it dies. At each gather it
 * may be prompted with a newline on stdin or a signal (Telegraf's execd semantics).
 */
import { parseLineProtocol } from '../../../core/format/lineprotocol/index.ts';
import { LineSplitter, type SplitResult } from '../../../core/lib/listen/splitter.ts';
import type { Accumulator, InputInstance, PluginContext } from '../../../core/plugin/types.ts';
import { Child, truncate } from '../../../core/lib/exec/child.ts';
import type { ExecdInputConfig } from './config.ts';

export class ExecdInput implements InputInstance {
  private readonly cfg: ExecdInputConfig;
  private readonly child: Child;
  private readonly splitter: LineSplitter;
  private acc: Accumulator | undefined;

  constructor(cfg: ExecdInputConfig, ctx: PluginContext) {
    this.cfg = cfg;
    this.splitter = new LineSplitter(cfg.max_line_size, true);
    const restarts = ctx.metrics.counter('restarts', 'Times the execd child process was restarted');
    this.child = new Child(
      {
        command: cfg.command,
        env: cfg.env,
        restartDelayMs: cfg.restart_delay,
        restartDelayMaxMs: cfg.restart_delay_max,
        stdout: 'pipe',
      },
      ctx.log,
      {
        onStdout: (chunk) => this.received(this.splitter.push(chunk)),
        onStdoutEnd: () => this.received(this.splitter.flush()),
        onRestart: () => restarts(),
      },
    );
  }

  start(acc: Accumulator): void {
    this.acc = acc;
    this.child.start();
  }

  /** Prompts the child for its next report (signal = "STDIN" or a signal name). */
  async gather(): Promise<void> {
    const signal = this.cfg.signal;
    if (signal === 'none' || !this.child.running) return;
    if (signal === 'STDIN') await this.child.write('\n');
    else this.child.kill(signal);
  }

  async stop(): Promise<void> {
    await this.child.stop(0);
  }

  /** Parses complete lines from the child and pushes them as one batch. */
  private received(split: SplitResult): void {
    const acc = this.acc;
    if (acc === undefined) return;
    if (split.overlong > 0)
      acc.reject('line too long', { maxLineSize: this.cfg.max_line_size }, split.overlong);
    for (const region of split.regions) this.parsed(acc, region);
  }

  private parsed(acc: Accumulator, lines: Buffer): void {
    if (lines.length === 0) return;
    const { metrics, errors } = parseLineProtocol(lines, { precision: this.cfg.precision });
    if (errors.length > 0) {
      const e = errors[0];
      const detail = { error: e.message, text: truncate(e.text ?? '', 200), more: errors.length - 1 };
      acc.reject('invalid line protocol', detail, errors.length);
    }
    if (metrics.length === 0) return;
    if (!acc.push(metrics)) {
      // The pipeline is full: stop reading; the child blocks on its stdout until there is room.
      this.child.pause();
      acc.waitForCapacity().then(
        () => this.child.resume(),
        () => this.child.resume(),
      );
    }
  }
}
