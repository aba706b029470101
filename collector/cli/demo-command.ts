/**
 * `viva demo` (what `npm start` runs): the embedded default on this machine, no external service.
 * A collector (conf/demo/collector.toml, with the ops dashboard) and three agents (host inputs,
 * and two generators with injected anomalies that the collector's anomaly processor flags), each
 * its own `viva` process with its log in var/demo/logs/. Prints the dashboard URL and the token
 * to log in with; Ctrl-C (SIGINT) or SIGTERM stops the agents (they flush to the collector), then
 * the collector, and waits for every one of them to exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Exit, parse } from '../../core/app/cli/args.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const CONF = path.join(ROOT, 'conf', 'demo');
const VIVA = path.join(ROOT, 'bin', 'viva.ts');
const STOP_GRACE_MS = 15_000;

interface Child {
  name: string;
  proc: ChildProcess;
  exited: Promise<void>;
}

/** Starts `viva <args>` with this process's node flags, its output appended to `log`. */
function startViva(name: string, args: string[], log: string, env: NodeJS.ProcessEnv): Child {
  const fd = fs.openSync(log, 'a');
  const proc = spawn(process.execPath, [...process.execArgv, VIVA, ...args], {
    stdio: ['ignore', fd, fd],
    env,
    // Its own process group: a Ctrl-C in a terminal reaches the demo alone, which stops each
    // child once, in order (a second signal would stop an agent without its flush).
    detached: true,
  });
  fs.closeSync(fd);
  const exited = new Promise<void>((resolve) => {
    if (proc.exitCode !== null) resolve();
    else proc.once('exit', () => resolve());
  });
  return { name, proc, exited };
}

/** Sends SIGTERM and waits; SIGKILL after the grace. */
async function stopChild(c: Child): Promise<void> {
  if (c.proc.exitCode !== null || c.proc.signalCode !== null) return;
  c.proc.kill('SIGTERM');
  const timer = setTimeout(() => c.proc.kill('SIGKILL'), STOP_GRACE_MS);
  await c.exited;
  clearTimeout(timer);
}

/** Resolves true once the collector's admin server answers /ready, false if it exits first. */
async function collectorReady(c: Child, admin: string, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end && c.proc.exitCode === null) {
    try {
      const res = await fetch(`${admin}/ready`);
      await res.arrayBuffer();
      if (res.status === 200) return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

function tail(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '';
  }
}

export async function demoCommand(argv: string[]): Promise<number> {
  parse(argv, {});
  const logs = path.resolve('var', 'demo', 'logs');
  fs.mkdirSync(logs, { recursive: true });
  const token = process.env.VIVA_DEMO_TOKEN ?? randomBytes(12).toString('base64url');
  const env = {
    ...process.env,
    VIVA_DEMO_TOKEN: token,
    VIVA_DEMO_AGENT_TOKEN: process.env.VIVA_DEMO_AGENT_TOKEN ?? randomBytes(12).toString('base64url'),
  };
  // The addresses: the configs' defaults, or VIVA_DEMO_LISTEN / VIVA_DEMO_ADMIN (host:port).
  const admin = `http://${process.env.VIVA_DEMO_ADMIN ?? '127.0.0.1:9274'}`;
  const children: Child[] = [];
  let stopping = false;
  let done: (code: number) => void = () => undefined;
  const finished = new Promise<number>((resolve) => (done = resolve));
  const stopAll = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    console.log('viva demo: stopping the agents, then the collector ...');
    // Agents first, so what they hold reaches the collector before it stops.
    await Promise.all(children.filter((c) => c.name !== 'collector').map(stopChild));
    for (const c of children.filter((c) => c.name === 'collector')) await stopChild(c);
    console.log(
      `viva demo: stopped (${children.map((c) => `${c.name} pid ${c.proc.pid}`).join(', ')} exited)`,
    );
    done(code);
  };
  const onSignal = (): void => void stopAll(Exit.OK);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const collector = startViva(
      'collector',
      ['collector', '-c', path.join(CONF, 'collector.toml')],
      path.join(logs, 'collector.log'),
      env,
    );
    children.push(collector);
    if (!(await collectorReady(collector, admin, 60_000))) {
      console.error(`viva demo: the collector did not start; its log (${logs}/collector.log):`);
      console.error(tail(path.join(logs, 'collector.log')));
      await stopAll(Exit.FAILURE);
      return await finished;
    }
    for (const name of ['agent-host', 'agent-gen-a', 'agent-gen-b']) {
      if (stopping) break;
      children.push(
        startViva(
          name,
          ['agent', '-c', path.join(CONF, `${name}.toml`)],
          path.join(logs, `${name}.log`),
          env,
        ),
      );
    }
    for (const c of children)
      void c.exited.then(() => {
        if (stopping) return;
        console.error(`viva demo: ${c.name} exited (code ${c.proc.exitCode ?? c.proc.signalCode}); its log:`);
        console.error(tail(path.join(logs, `${c.name}.log`)));
        void stopAll(Exit.FAILURE);
      });
    if (!stopping)
      console.log(
        [
          '',
          'VIVA demo: a collector and three agents on this machine (no external service).',
          `  dashboard:   ${admin}/dashboard`,
          `  log in with: ${token}   (the admin token; set VIVA_DEMO_TOKEN to choose it)`,
          `  processes:   ${children.map((c) => `${c.name} pid ${c.proc.pid}`).join(', ')}`,
          `  logs:        ${logs}/, metrics delivered to var/demo/metrics.lp`,
          'Ctrl-C stops everything.',
          '',
        ].join('\n'),
      );
    return await finished;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
