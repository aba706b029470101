/**
 * The execd processor: hands each batch to a long-running program as line protocol on its stdin
 * and passes on what the program answers. Protocol: a batch is its lines followed by one empty
 * line; the program answers with zero or more lines followed by one empty line, batch by batch
 * in order (a line filter that copies empty lines through already does this). No answer within
 * `timeout`, or a dead program: the batch passes on unchanged, and a stuck program is restarted.
 */
import { parseLineProtocol, serializeLineProtocol } from '../../../core/format/lineprotocol/index.ts';
import { S_START, scanLines } from '../../../core/format/lineprotocol/linescan.ts';
import { LineSplitter, type SplitResult } from '../../../core/lib/listen/splitter.ts';
import type { Metric } from '../../../core/model/metric/metric.ts';
import type { PluginContext, ProcessorInstance } from '../../../core/plugin/types.ts';
import { Child, truncate } from '../../../core/lib/exec/child.ts';
import type { ExecdProcessorConfig } from './config.ts';

const END_OF_BATCH = Buffer.from('\n');

/** A batch written to the child and not answered yet. */
interface Pending {
  batch: Metric[];
  resolve: (metrics: Metric[]) => void;
  timer: NodeJS.Timeout;
}

/** True when b[s, e) holds only whitespace: the empty line that ends a batch. */
function blank(b: Buffer, s: number, e: number): boolean {
  for (let i = s; i < e; i++) if (b[i] !== 10 && b[i] !== 13 && b[i] !== 32 && b[i] !== 9) return false;
  return true;
}

export class ExecdProcessor implements ProcessorInstance {
  private readonly cfg: ExecdProcessorConfig;
  private readonly ctx: PluginContext;
  private readonly child: Child;
  private readonly splitter = new LineSplitter(16 * 1024 * 1024, true);
  private readonly queue: Pending[] = [];
  /** Lines of the answer being read. */
  private answer: Buffer[] = [];
  /** The child is being replaced: ignore what it still writes. */
  private discarding = false;
  private warnedDown = false;
  private started = false;
  private idle: (() => void)[] = [];

  constructor(cfg: ExecdProcessorConfig, ctx: PluginContext) {
    this.cfg = cfg;
    this.ctx = ctx;
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
        onStdout: (chunk) => this.read(this.splitter.push(chunk)),
        onStdoutEnd: () => this.read(this.splitter.flush()),
        onSpawn: () => {
          this.discarding = false;
          this.warnedDown = false;
          this.answer = [];
        },
        onExit: () => this.passAll('execd child exited'),
        onRestart: () => restarts(),
      },
    );
  }

  start(): void {
    this.started = true;
    this.child.start();
  }

  process(metrics: Metric[]): Metric[] | Promise<Metric[]> {
    if (!this.started) this.start();
    if (metrics.length === 0) return metrics;
    if (!this.child.running || this.discarding) {
      if (!this.warnedDown)
        this.ctx.log.warn({ count: metrics.length }, 'execd child is not running; batches pass on unchanged');
      this.warnedDown = true;
      return metrics;
    }
    const data = Buffer.concat([serializeLineProtocol(metrics).data, END_OF_BATCH]);
    return new Promise<Metric[]>((resolve) => {
      const timer = setTimeout(() => this.timedOut(), this.cfg.timeout);
      this.queue.push({ batch: metrics, resolve, timer });
      // A failed write means the child died: its exit passes the batch on.
      this.child.write(data).catch(() => undefined);
    });
  }

  async stop(): Promise<void> {
    if (this.queue.length > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
    await this.child.stop();
  }

  /** Splits complete lines into answers: everything up to an empty line answers the oldest batch. */
  private read(split: SplitResult): void {
    for (const region of split.regions) this.readRegion(region);
  }

  private readRegion(lines: Buffer): void {
    if (this.discarding) return;
    let pos = 0;
    while (pos < lines.length) {
      let end = scanLines(lines, pos, lines.length, { state: S_START }, true);
      if (end === -1) end = lines.length;
      if (blank(lines, pos, end)) this.answered();
      else this.answer.push(Buffer.from(lines.subarray(pos, end)));
      pos = end;
    }
  }

  private answered(): void {
    const text = Buffer.concat(this.answer);
    this.answer = [];
    const p = this.queue.shift();
    if (p === undefined) {
      if (text.length > 0)
        this.ctx.log.warn({ bytes: text.length }, 'execd child answered no batch; output discarded');
      return;
    }
    clearTimeout(p.timer);
    const { metrics, errors } = parseLineProtocol(text);
    if (errors.length > 0)
      this.ctx.log.warn(
        { count: errors.length, error: errors[0].message, text: truncate(errors[0].text ?? '', 200) },
        'execd child answered invalid line protocol; those lines are dropped',
      );
    p.resolve(metrics);
    this.settle();
  }

  /** The oldest batch got no answer in time: the child is stuck or out of step, so replace it. */
  private timedOut(): void {
    this.ctx.log.warn({ timeoutMs: this.cfg.timeout }, 'execd child did not answer in time; restarting it');
    this.discarding = true;
    this.passAll('execd child timed out');
    this.child.kill('SIGKILL');
  }

  /** Passes every waiting batch on unchanged. */
  private passAll(reason: string): void {
    if (this.queue.length > 0)
      this.ctx.log.warn({ batches: this.queue.length }, `${reason}; batches passed on unchanged`);
    for (const p of this.queue.splice(0)) {
      clearTimeout(p.timer);
      p.resolve(p.batch);
    }
    this.answer = [];
    this.settle();
  }

  private settle(): void {
    if (this.queue.length === 0) for (const w of this.idle.splice(0)) w();
  }
}
