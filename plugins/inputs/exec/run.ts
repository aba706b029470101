/**
 * Runs one command without a shell: stdout read whole up to a bound, stderr kept truncated,
 * SIGTERM at the deadline and SIGKILL after a grace period.
 */
import { spawn } from 'node:child_process';

/** Options of one run. */
export interface RunOptions {
  timeoutMs: number;
  killGraceMs: number;
  env: NodeJS.ProcessEnv;
  cwd: string | undefined;
  maxStdout: number;
  maxStderr: number;
}

/** How a run ended. */
export interface RunResult {
  stdout: Buffer;
  stderr: string;
  /** Exit code, or null when killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** stdout exceeded maxStdout (the process was killed). */
  overflow: boolean;
}

/** Runs argv; rejects only when the process cannot be started. */
export function runCommand(argv: string[], o: RunOptions): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    // Its own process group, so a kill reaches what a script started too (and frees the pipes).
    const child = spawn(argv[0], argv.slice(1), {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: o.env,
      cwd: o.cwd,
      detached: true,
    });
    const out: Buffer[] = [];
    let outBytes = 0;
    let err = '';
    let timedOut = false;
    let overflow = false;
    let killTimer: NodeJS.Timeout | undefined;
    const signal = (sig: NodeJS.Signals): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, sig);
      } catch {
        child.kill(sig);
      }
    };
    const terminate = (): void => {
      signal('SIGTERM');
      killTimer = setTimeout(() => signal('SIGKILL'), o.killGraceMs);
    };
    const deadline = setTimeout(() => {
      timedOut = true;
      terminate();
    }, o.timeoutMs);
    child.stdout.on('data', (c: Buffer) => {
      if (overflow) return;
      outBytes += c.length;
      if (outBytes > o.maxStdout) {
        overflow = true;
        terminate();
        return;
      }
      out.push(c);
    });
    child.stderr.on('data', (c: Buffer) => {
      if (err.length < o.maxStderr)
        err += c.toString('utf8', 0, Math.min(c.length, o.maxStderr - err.length));
    });
    child.once('error', (e) => {
      clearTimeout(deadline);
      clearTimeout(killTimer);
      reject(e);
    });
    child.once('close', (code, signal) => {
      clearTimeout(deadline);
      clearTimeout(killTimer);
      resolve({ stdout: Buffer.concat(out), stderr: err, code, signal, timedOut, overflow });
    });
  });
}
