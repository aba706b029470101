/**
 * The exec input: runs each command on every gather (in parallel, no shell) and parses its
 * stdout as line protocol or JSON. A command that times out, overflows, or exits non-zero fails
 * the gather (counted by the core) with its stderr in the log; what it printed is still parsed,
 * except after an overflow.
 */
import type { Parser } from '../../../core/format/types.ts';
import { recordParser } from '../../../core/lib/listen/format.ts';
import type { Accumulator, InputInstance, PluginContext } from '../../../core/plugin/types.ts';
import type { ExecConfig } from './config.ts';
import { runCommand, type RunResult } from './run.ts';

/** Why a run failed, or undefined when it succeeded. */
function failure(r: RunResult, timeoutMs: number): string | undefined {
  if (r.overflow) return 'stdout exceeded max_output_size; killed';
  if (r.timedOut) return `timed out after ${timeoutMs} ms; killed`;
  if (r.signal !== null) return `killed by ${r.signal}`;
  if (r.code !== 0) return `exited with code ${r.code}`;
  return undefined;
}

export class ExecInput implements InputInstance {
  private readonly cfg: ExecConfig;
  private readonly ctx: PluginContext;
  private readonly parser: Parser;

  constructor(cfg: ExecConfig, ctx: PluginContext) {
    this.cfg = cfg;
    this.ctx = ctx;
    this.parser = recordParser(cfg.data_format, cfg.precision, { ...cfg, measurement: 'exec' });
  }

  async gather(acc: Accumulator): Promise<void> {
    const failures: string[] = [];
    await Promise.all(
      this.cfg.commands.map((argv) =>
        this.runOne(argv, acc).then(
          (f) => {
            if (f !== undefined) failures.push(f);
          },
          (e: unknown) => {
            failures.push(`${argv[0]}: ${e instanceof Error ? e.message : String(e)}`);
          },
        ),
      ),
    );
    if (failures.length > 0) throw new Error(`command failed: ${failures.join('; ')}`);
  }

  /** Runs a command and pushes its metrics; returns a failure description or undefined. */
  private async runOne(argv: string[], acc: Accumulator): Promise<string | undefined> {
    const c = this.cfg;
    const r = await runCommand(argv, {
      timeoutMs: c.command_timeout,
      killGraceMs: c.kill_grace,
      env: { ...process.env, ...c.environment },
      cwd: c.working_directory,
      maxStdout: c.max_output_size,
      maxStderr: c.max_stderr_size,
    });
    const why = failure(r, c.command_timeout);
    const stderr = r.stderr.trim();
    if (why !== undefined)
      this.ctx.log.warn({ command: argv[0], stderr, code: r.code, signal: r.signal }, `command ${why}`);
    else if (stderr !== '') this.ctx.log.debug({ command: argv[0], stderr }, 'command wrote to stderr');
    if (!r.overflow && r.stdout.length > 0) {
      const { metrics, errors } = this.parser.parse(r.stdout, { defaultTime: [this.ctx.clock.now(), 0] });
      if (errors.length > 0) {
        acc.reject(
          'invalid command output',
          { command: argv[0], lines: errors.slice(0, 10).map((e) => e.line), first: errors[0].message },
          errors.length,
        );
      }
      if (metrics.length > 0) acc.push(metrics);
    }
    return why === undefined ? undefined : `${argv[0]} ${why}`;
  }
}
