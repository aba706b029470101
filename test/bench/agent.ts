/**
 * The agent under test: the real `viva agent` process started with a generated config, and what
 * the benchmark reads from outside it — CPU time and memory from /proc, counters from /metrics.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { vivaBin, vivaEnv, vivaNodeFlags } from '../helpers/viva.ts';

const CLK_TCK = 100;

/** A free TCP port on 127.0.0.1 (bound and released; fine on a quiet loopback). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts connections on the port, or throws after `ms`. */
export async function waitForPort(port: number, ms: number): Promise<void> {
  const until = performance.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (performance.now() > until) throw new Error(`nothing listening on port ${port} after ${ms} ms`);
    await sleep(100);
  }
}

/** CPU seconds (user + system) a process has used so far. */
export function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
  // Fields after the command name (which may hold spaces) start at index 3 (state).
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
}

/** CPU seconds the whole machine has spent busy (all cores; /proc/stat, idle and iowait excluded). */
export function machineBusySeconds(): number {
  const f = fs
    .readFileSync('/proc/stat', 'latin1')
    .split('\n', 1)[0]
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const total = f.slice(0, 8).reduce((s, x) => s + x, 0);
  return (total - f[3] - f[4]) / CLK_TCK;
}

/** A memory line of /proc/<pid>/status (VmRSS, VmHWM) in MB. */
export function memMb(pid: number, key: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'latin1'));
  return m === null ? NaN : Number(m[1]) / 1024;
}

export interface AgentOptions {
  configText: string;
  dir: string;
  adminPort: number;
  /** Extra node flags for the agent (e.g. --cpu-prof --cpu-prof-dir=...). */
  nodeFlags: string[];
  /** `viva agent` (default) or `viva collector`. */
  command?: 'agent' | 'collector';
}

/** A running agent (or collector). */
export class AgentProcess {
  readonly child: ChildProcess;
  readonly logFile: string;
  private exited: Promise<number | null>;

  private exitedAs = '';

  private constructor(child: ChildProcess, logFile: string) {
    this.child = child;
    this.logFile = logFile;
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.exitedAs = signal !== null ? `signal ${signal}` : `code ${code}`;
        resolve(code);
      }),
    );
  }

  /** Throws, naming how it ended and its log, when the process is no longer running. */
  assertRunning(): void {
    if (this.child.exitCode !== null || this.child.signalCode !== null)
      throw new Error(
        `${path.basename(this.logFile, '.log')} (pid ${this.pid}) exited during the run ` +
          `(${this.exitedAs || `code ${this.child.exitCode}, signal ${this.child.signalCode}`}); see ${this.logFile}`,
      );
  }

  get pid(): number {
    return this.child.pid as number;
  }

  /** Writes the config, starts the process and waits for its /ready. */
  static async start(o: AgentOptions): Promise<AgentProcess> {
    const command = o.command ?? 'agent';
    const cfg = path.join(o.dir, `${command}.toml`);
    fs.writeFileSync(cfg, o.configText);
    const logFile = path.join(o.dir, `${command}.log`);
    const log = fs.openSync(logFile, 'a');
    const child = spawn(
      process.execPath,
      // The flags of the bin's first line, as an installed `viva` runs; --node-flag ones after them win.
      [...vivaNodeFlags(), ...o.nodeFlags, vivaBin, command, '-c', cfg],
      {
        cwd: o.dir,
        // As bin/viva.js gives it: glibc's malloc settings (bin/malloc-tunables.js).
        env: vivaEnv(),
        stdio: ['ignore', log, log],
      },
    );
    fs.closeSync(log);
    const a = new AgentProcess(child, logFile);
    const until = performance.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${command} exited (${child.exitCode}); see ${logFile}`);
      try {
        const r = await fetch(`http://127.0.0.1:${o.adminPort}/ready`);
        if (r.ok) return a;
      } catch {
        // not listening yet
      }
      if (performance.now() > until) {
        await a.stop();
        throw new Error(`${command} not ready after 30 s; see ${logFile}`);
      }
      await sleep(100);
    }
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 15_000): Promise<number | null> {
    if (this.child.exitCode !== null) return this.child.exitCode;
    this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    const code = await this.exited;
    clearTimeout(t);
    return code;
  }
}
