/**
 * A private MariaDB server for a test that must stop and restart one (never the shared server of
 * scripts/services.sh): its own data directory in a temp dir, its own port on loopback, and
 * `--skip-grant-tables` so any user logs in without a password. Debian's binaries; as root the
 * server runs as the `mysql` user (it refuses root).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { freePort, waitFor } from '../../helpers/viva.ts';

const MARIADBD = '/usr/sbin/mariadbd';
const asRoot = process.getuid?.() === 0;

/** A running private server. */
export class PrivateMariadb {
  readonly dir: string;
  readonly port: number;
  private child: ChildProcess | undefined;

  private constructor(dir: string, port: number) {
    this.dir = dir;
    this.port = port;
  }

  /** Creates the data directory and starts the server. */
  static async create(): Promise<PrivateMariadb> {
    if (!fs.existsSync(MARIADBD))
      throw new Error(`no ${MARIADBD} (scripts/services.sh installs mariadb-server)`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'viva-mariadb-'));
    const user = asRoot ? ['--user=mysql'] : [];
    if (asRoot) {
      const uid = Number(execFileSync('id', ['-u', 'mysql'], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', 'mysql'], { encoding: 'utf8' }).trim());
      fs.chownSync(dir, uid, gid);
    }
    execFileSync(
      'mariadb-install-db',
      [
        '--no-defaults',
        ...user,
        `--datadir=${path.join(dir, 'data')}`,
        '--skip-test-db',
        '--skip-name-resolve',
      ],
      { stdio: 'pipe' },
    );
    const server = new PrivateMariadb(dir, await freePort());
    await server.start();
    return server;
  }

  /** The connection URL (any user: grants are not checked). */
  get url(): string {
    return `mysql://viva@127.0.0.1:${this.port}/mysql`;
  }

  /** Starts the server and waits until it answers a query. */
  async start(): Promise<void> {
    const args = [
      '--no-defaults',
      ...(asRoot ? ['--user=mysql'] : []),
      `--datadir=${path.join(this.dir, 'data')}`,
      '--bind-address=127.0.0.1',
      `--port=${this.port}`,
      `--socket=${path.join(this.dir, 'mysqld.sock')}`,
      `--pid-file=${path.join(this.dir, 'mariadbd.pid')}`,
      '--skip-grant-tables',
      '--skip-name-resolve',
      '--innodb-buffer-pool-size=16M',
    ];
    this.child = spawn(MARIADBD, args, { stdio: 'ignore' });
    await waitFor(
      async () => {
        const c = await mysql.createConnection({ host: '127.0.0.1', port: this.port, user: 'viva' });
        try {
          await c.query('SELECT 1');
          return true;
        } finally {
          await c.end().catch(() => undefined);
        }
      },
      `private MariaDB on port ${this.port}`,
      60_000,
      200,
    );
  }

  /** Stops the server (SIGTERM: a clean shutdown), waiting for the exit. */
  async stop(): Promise<void> {
    const c = this.child;
    this.child = undefined;
    if (c === undefined || c.exitCode !== null) return;
    const exited = new Promise((resolve) => c.once('exit', resolve));
    c.kill('SIGTERM');
    await exited;
  }

  /** Stops the server and removes its data. */
  async destroy(): Promise<void> {
    await this.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
