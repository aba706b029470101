/**
 * A private PostgreSQL server for a test that must stop and restart one (never the shared server
 * of scripts/services.sh): its own cluster in a temp dir, trust authentication, its own port on
 * loopback. Debian's binaries; as root, initdb and the server run as the `postgres` user.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort, waitFor } from '../../helpers/viva.ts';

/** The newest installed PostgreSQL's binary directory. */
function binDir(): string {
  const base = '/usr/lib/postgresql';
  const versions = fs.existsSync(base) ? fs.readdirSync(base).sort((a, b) => Number(b) - Number(a)) : [];
  const found = versions
    .map((v) => path.join(base, v, 'bin'))
    .find((d) => fs.existsSync(path.join(d, 'initdb')));
  if (found === undefined)
    throw new Error('no PostgreSQL binaries in /usr/lib/postgresql (scripts/services.sh installs them)');
  return found;
}

/** As root, the command runs as the `postgres` system user. */
function asOwner(cmd: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0
    ? ['setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', '--', cmd, ...args]]
    : [cmd, args];
}

/** A running private server. */
export class PrivatePostgres {
  readonly dir: string;
  readonly port: number;
  private readonly bin: string;
  private child: ChildProcess | undefined;

  private constructor(dir: string, port: number, bin: string) {
    this.dir = dir;
    this.port = port;
    this.bin = bin;
  }

  /** Creates the cluster and starts the server. */
  static async create(): Promise<PrivatePostgres> {
    const bin = binDir();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'viva-pg-'));
    if (process.getuid?.() === 0) {
      const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
      fs.chownSync(dir, uid, gid);
    }
    const [cmd, args] = asOwner(path.join(bin, 'initdb'), [
      '-D',
      path.join(dir, 'data'),
      '-U',
      'postgres',
      '--auth=trust',
      '-E',
      'UTF8',
      '--locale=C',
      '--no-sync',
    ]);
    execFileSync(cmd, args, { stdio: 'pipe' });
    const server = new PrivatePostgres(dir, await freePort(), bin);
    await server.start();
    return server;
  }

  /** The connection URL of the superuser. */
  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  /** Starts the server and waits until it accepts a query. */
  async start(): Promise<void> {
    const [cmd, args] = asOwner(path.join(this.bin, 'postgres'), [
      '-D',
      path.join(this.dir, 'data'),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      `port=${this.port}`,
      '-c',
      `unix_socket_directories=${this.dir}`,
      '-c',
      'fsync=off',
      '-c',
      'shared_buffers=16MB',
    ]);
    this.child = spawn(cmd, args, { stdio: 'ignore' });
    await waitFor(
      async () => {
        const c = new pg.Client({
          host: '127.0.0.1',
          port: this.port,
          user: 'postgres',
          database: 'postgres',
        });
        try {
          await c.connect();
          await c.query('SELECT 1');
          return true;
        } finally {
          await c.end().catch(() => undefined);
        }
      },
      `private PostgreSQL on port ${this.port}`,
      60_000,
      200,
    );
  }

  /** Fast shutdown (SIGINT: sessions are ended), waiting for the exit. */
  async stop(): Promise<void> {
    const c = this.child;
    this.child = undefined;
    if (c === undefined || c.exitCode !== null) return;
    const exited = new Promise((resolve) => c.once('exit', resolve));
    c.kill('SIGINT');
    await exited;
  }

  /** Stops the server and removes its cluster. */
  async destroy(): Promise<void> {
    await this.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
