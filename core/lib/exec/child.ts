/**
 * A supervised child process for the execd bridge (input, processor, output): spawned from an
 * argv (no shell), restarted with exponential backoff when it dies, its stderr logged line by
 * line (truncated). Shared by the three execd plugins; it knows nothing of metrics.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from 'pino';
import { z } from 'zod';
import { duration } from '../../config/duration.ts';
import { backoffDelay } from '../../engine/running/backoff.ts';

/** Longest stderr line logged, in characters; the rest is cut. */
const MAX_LOG_LINE = 512;
/** Longest incomplete stderr line kept while waiting for its newline. */
const MAX_STDERR_PENDING = 16 * 1024;

/** Config keys of the child process, shared by the three execd plugins. */
export const childKeys = {
  command: z
    .array(z.string().min(1))
    .min(1)
    .meta({ example: ['/usr/local/bin/my-plugin', '--flag'] })
    .describe('Program and arguments to run (argv, no shell).'),
  env: z.record(z.string(), z.string()).default({}).describe("Environment variables added to VIVA's own."),
  restart_delay: duration
    .prefault('10s')
    .describe('Delay before restarting a child that exited; doubles after each exit.'),
  restart_delay_max: duration.prefault('5m').describe('Longest restart delay.'),
};

export interface ChildSpec {
  /** argv: program and arguments. */
  command: string[];
  /** Variables added to VIVA's own environment. */
  env: Record<string, string>;
  /** First restart delay (ms); doubles after each exit up to restartDelayMaxMs. */
  restartDelayMs: number;
  restartDelayMaxMs: number;
  /** Whether the child's stdout is read (input, processor) or discarded (output). */
  stdout: 'pipe' | 'ignore';
}

export interface ChildHooks {
  /** Bytes from the child's stdout. */
  onStdout?(chunk: Buffer): void;
  /** The child's stdout ended (it exited or closed it). */
  onStdoutEnd?(): void;
  /** A new child process is up (first start and every restart). */
  onSpawn?(): void;
  /** The child is gone (exit, spawn failure or kill). */
  onExit?(): void;
  /** Counts a restart (self-metrics). */
  onRestart?(): void;
}

/** Truncates a line for logs. */
export function truncate(s: string, max = MAX_LOG_LINE): string {
  return s.length <= max ? s : `${s.slice(0, max)}… (${s.length - max} more characters)`;
}

/** One supervised child process, restarted until stop(). */
export class Child {
  private readonly spec: ChildSpec;
  private readonly log: Logger;
  private readonly hooks: ChildHooks;
  private proc: ChildProcess | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private attempt = 0;
  private startedAt = 0;
  private stopping = false;
  private exited: Promise<void> = Promise.resolve();

  constructor(spec: ChildSpec, log: Logger, hooks: ChildHooks = {}) {
    this.spec = spec;
    this.log = log;
    this.hooks = hooks;
  }

  /** True while a child process is up and its stdin open. */
  get running(): boolean {
    return this.proc !== undefined && this.proc.stdin !== null && this.proc.stdin.writable;
  }

  /** Process id of the current child, or undefined. */
  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** Spawns the child; later exits are followed by restarts until stop(). */
  start(): void {
    this.stopping = false;
    this.spawn();
  }

  private spawn(): void {
    this.restartTimer = undefined;
    if (this.stopping) return;
    const [prog, ...args] = this.spec.command;
    const proc = spawn(prog, args, {
      env: { ...process.env, ...this.spec.env },
      stdio: ['pipe', this.spec.stdout, 'pipe'],
      windowsHide: true,
    });
    this.proc = proc;
    this.startedAt = performance.now();
    let done: () => void = () => undefined;
    this.exited = new Promise((resolve) => (done = resolve));
    let gone = false;
    const onGone = (reason: Record<string, unknown>): void => {
      if (gone) return;
      gone = true;
      if (this.proc === proc) this.proc = undefined;
      done();
      this.hooks.onExit?.();
      this.scheduleRestart(reason);
    };
    proc.on('error', (e) => {
      // Without a pid the spawn failed (no such program); otherwise a kill failed and it runs on.
      if (proc.pid === undefined) onGone({ err: e.message });
      else this.log.warn({ err: e.message }, 'execd child error');
    });
    proc.on('exit', (code, signal) => onGone({ code, signal }));
    // EPIPE when the child dies mid-write surfaces through write callbacks and 'exit'.
    proc.stdin?.on('error', () => undefined);
    proc.stdout?.on('data', (d: Buffer) => this.hooks.onStdout?.(d));
    proc.stdout?.on('end', () => this.hooks.onStdoutEnd?.());
    this.logStderr(proc);
    if (proc.pid !== undefined) {
      this.log.info({ pid: proc.pid, command: this.spec.command }, 'execd child started');
      this.hooks.onSpawn?.();
    }
  }

  private scheduleRestart(reason: Record<string, unknown>): void {
    if (this.stopping) return;
    // A child that ran for a good while starts the backoff over.
    if (performance.now() - this.startedAt >= this.spec.restartDelayMaxMs) this.attempt = 0;
    this.attempt++;
    const delay = Math.round(
      backoffDelay(this.attempt, this.spec.restartDelayMs, this.spec.restartDelayMaxMs),
    );
    this.log.warn(
      { ...reason, restartInMs: delay, command: this.spec.command },
      'execd child exited; restarting',
    );
    this.restartTimer = setTimeout(() => {
      this.hooks.onRestart?.();
      this.spawn();
    }, delay);
  }

  private logStderr(proc: ChildProcess): void {
    let pending = '';
    proc.stderr?.setEncoding('utf8');
    proc.stderr?.on('data', (d: string) => {
      const lines = (pending + d).split('\n');
      pending = lines.pop() ?? '';
      if (pending.length > MAX_STDERR_PENDING) {
        lines.push(pending);
        pending = '';
      }
      for (const line of lines)
        if (line.trim() !== '') this.log.warn({ stderr: truncate(line) }, 'execd child stderr');
    });
    proc.stderr?.on('end', () => {
      if (pending.trim() !== '') this.log.warn({ stderr: truncate(pending) }, 'execd child stderr');
    });
  }

  /** Writes to the child's stdin; resolves once handed to the pipe, rejects when the child is gone. */
  write(data: Buffer | string): Promise<void> {
    const stdin = this.proc?.stdin;
    if (stdin === undefined || stdin === null || !stdin.writable)
      return Promise.reject(new Error('child process is not running'));
    return new Promise((resolve, reject) => {
      stdin.write(data, (e) => (e === undefined || e === null ? resolve() : reject(e)));
    });
  }

  /** Sends a signal to the current child; false when none is running. */
  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    return this.proc?.kill(signal) ?? false;
  }

  /** Stops reading the child's stdout (backpressure); the child blocks once the pipe is full. */
  pause(): void {
    this.proc?.stdout?.pause();
  }

  resume(): void {
    this.proc?.stdout?.resume();
  }

  /**
   * Stops for good: closes stdin, lets the child exit by itself for `graceMs`, then SIGTERM, then
   * SIGKILL after another second.
   */
  async stop(graceMs = 2000): Promise<void> {
    this.stopping = true;
    if (this.restartTimer !== undefined) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const proc = this.proc;
    if (proc === undefined) return;
    proc.stdin?.end();
    const within = (ms: number): Promise<boolean> =>
      Promise.race([
        this.exited.then(() => true),
        new Promise<boolean>((r) => setTimeout(r, ms, false).unref()),
      ]);
    if (await within(graceMs)) return;
    proc.kill('SIGTERM');
    if (await within(1000)) return;
    proc.kill('SIGKILL');
    await this.exited;
  }
}
