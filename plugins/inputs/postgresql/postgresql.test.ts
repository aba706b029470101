/**
 * Against a real PostgreSQL 15: a throwaway cluster (initdb) on a free loopback port, roles
 * with SCRAM-SHA-256 and MD5 passwords, and queries whose rows must come back as metrics.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig, testContext, TestAccumulator } from '../../../core/plugin/testing.ts';
import { postgresqlInput } from './index.ts';
import { PostgresqlInput } from './postgresql.ts';
import { PgConnection, PgError } from './wire.ts';

const NOW = 1_764_140_000_000;
const asRoot = process.getuid?.() === 0;
const havePostgres = (() => {
  try {
    execFileSync('initdb', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** Runs a PostgreSQL binary, as the postgres user when we are root (initdb refuses root). */
function pg(cmd: string, args: string[]): void {
  if (asRoot) execFileSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { stdio: 'pipe' });
  else execFileSync(cmd, args, { stdio: 'pipe' });
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

let dir = '';
let port = 0;

beforeAll(async () => {
  if (!havePostgres) return;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'viva-pg-'));
  if (asRoot) execFileSync('chown', ['postgres', dir]);
  port = await freePort();
  pg('initdb', [
    '-D',
    path.join(dir, 'data'),
    '-U',
    'postgres',
    '--auth-local=trust',
    '--auth-host=scram-sha-256',
    '-E',
    'UTF8',
    '--no-sync',
  ]);
  // md5 for one role, to exercise that method too; everything else over TCP uses SCRAM.
  const hba = path.join(dir, 'data', 'pg_hba.conf');
  fs.writeFileSync(
    hba,
    'local all all trust\nhost all md5user 127.0.0.1/32 md5\nhost all all 127.0.0.1/32 scram-sha-256\n',
  );
  // A self-signed certificate, so sslmode=require has TLS to negotiate.
  const cert = path.join(dir, 'server.crt');
  const key = path.join(dir, 'server.key');
  const subject = ['-days', '1', '-subj', '/CN=127.0.0.1'];
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, ...subject],
    {
      stdio: 'ignore',
    },
  );
  fs.chmodSync(key, 0o600);
  if (asRoot) execFileSync('chown', ['postgres', cert, key]);
  const server = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
  const ssl = `-c ssl=on -c ssl_cert_file=${cert} -c ssl_key_file=${key}`;
  pg('pg_ctl', [
    '-D',
    path.join(dir, 'data'),
    '-o',
    `${server} ${ssl}`,
    '-w',
    '-l',
    path.join(dir, 'log'),
    'start',
  ]);
  const admin = await PgConnection.connect({
    host: '',
    port,
    socketDir: dir,
    user: 'postgres',
    database: 'postgres',
    connectTimeoutMs: 5000,
  });
  await admin.query(`
    CREATE ROLE viva LOGIN PASSWORD 'sekret';
    SET password_encryption = 'md5';
    CREATE ROLE md5user LOGIN PASSWORD 'md5pass';
    CREATE TABLE jobs (queue text, host text, depth int, big int8, ratio float8, cost numeric, ok bool, note text, at timestamptz);
    INSERT INTO jobs VALUES
      ('mail', 'a', 3, 9007199254740993, 0.25, 12.5, true, 'x', '2025-11-26 07:02:55.123456+00'),
      ('sms', 'b', 0, -1, 'NaN', NULL, false, NULL, '2025-11-26 09:02:55+02');
    GRANT SELECT ON jobs TO viva, md5user;
  `);
  await admin.close();
}, 60_000);

afterAll(() => {
  if (dir === '') return;
  try {
    pg('pg_ctl', ['-D', path.join(dir, 'data'), '-m', 'immediate', '-w', 'stop']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 30_000);

async function gather(table: Record<string, unknown>): Promise<TestAccumulator> {
  const ctx = testContext(postgresqlInput, { clock: { now: () => NOW, monotonic: () => 0 } });
  const input = new PostgresqlInput(parseConfig(postgresqlInput, table), ctx);
  const acc = new TestAccumulator();
  try {
    await input.gather(acc);
  } finally {
    await input.stop();
  }
  return acc;
}

describe.skipIf(!havePostgres)('postgresql input against a real server', () => {
  it('should turn rows into metrics with typed fields, tag columns and a time column', async () => {
    const acc = await gather({
      address: `postgres://viva:sekret@127.0.0.1:${port}/postgres?sslmode=disable`,
      query: [
        {
          sql: 'SELECT queue, host, depth, big, ratio, cost, ok, note, at FROM jobs ORDER BY queue',
          measurement: 'jobs',
          tag_columns: ['queue', 'host'],
          time_column: 'at',
        },
      ],
    });
    expect(acc.metrics).toHaveLength(2);
    const [mail, sms] = acc.metrics;
    expect(mail.name).toBe('jobs');
    expect(mail.tags).toEqual({ queue: 'mail', host: 'a' });
    expect(mail.fields).toEqual({
      depth: 3,
      big: 9007199254740993n,
      ratio: 0.25,
      cost: 12.5,
      ok: true,
      note: 'x',
    });
    expect(mail.fieldType('depth')).toBe('int');
    expect(mail.fieldType('big')).toBe('int');
    expect(mail.fieldType('ratio')).toBe('float');
    expect([mail.timeMs, mail.timeNs]).toEqual([Date.UTC(2025, 10, 26, 7, 2, 55, 123), 456_000]);
    expect(sms.fields).toEqual({ depth: 0, big: -1, ratio: NaN, ok: false });
    expect([sms.timeMs, sms.timeNs]).toEqual([Date.UTC(2025, 10, 26, 7, 2, 55), 0]);
  });

  it('should keep only the listed field columns and stamp rows without a time column now', async () => {
    const acc = await gather({
      address: `postgres://viva@127.0.0.1:${port}/postgres`,
      password: 'sekret',
      server_tag: true,
      query: [
        {
          sql: 'SELECT queue, depth, ratio FROM jobs ORDER BY queue',
          measurement: 'q',
          tag_columns: ['queue'],
          field_columns: ['depth'],
        },
      ],
    });
    expect(acc.metrics.map((m) => [m.tags, m.fields, m.timeMs])).toEqual([
      [{ queue: 'mail', server: `127.0.0.1:${port}` }, { depth: 3 }, NOW],
      [{ queue: 'sms', server: `127.0.0.1:${port}` }, { depth: 0 }, NOW],
    ]);
  });

  it('should negotiate TLS with sslmode=require', async () => {
    const acc = await gather({
      address: `postgres://viva:sekret@127.0.0.1:${port}/postgres?sslmode=require`,
      query: [{ sql: 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()', measurement: 'tls' }],
    });
    expect(acc.metrics[0].fields).toEqual({ ssl: true });
  });

  it('should authenticate with an MD5 password', async () => {
    const acc = await gather({
      address: `postgres://md5user:md5pass@127.0.0.1:${port}/postgres`,
      query: [{ sql: 'SELECT count(*) AS n FROM jobs', measurement: 'count' }],
    });
    expect(acc.metrics[0].fields).toEqual({ n: 2 });
  });

  it('should run the pg_stat_database query when none is configured', async () => {
    const acc = await gather({ address: `postgres://viva:sekret@127.0.0.1:${port}/postgres` });
    const pgdb = acc.metrics.find((m) => m.tags.db === 'postgres');
    expect(pgdb?.name).toBe('postgresql');
    expect(pgdb?.fieldType('xact_commit')).toBe('int');
  });

  it('should fail the gather with the server error but keep the other queries', async () => {
    const table = {
      address: `postgres://viva:sekret@127.0.0.1:${port}/postgres`,
      query: [
        { sql: 'SELECT * FROM nope', measurement: 'bad' },
        { sql: 'SELECT 1 AS one', measurement: 'good' },
      ],
    };
    const ctx = testContext(postgresqlInput);
    const input = new PostgresqlInput(parseConfig(postgresqlInput, table), ctx);
    const acc = new TestAccumulator();
    await expect(input.gather(acc)).rejects.toThrow(/bad: relation "nope" does not exist/);
    await input.stop();
    expect(acc.metrics.map((m) => m.name)).toEqual(['good']);
  });

  it('should refuse a wrong password with the server error', async () => {
    const err = await PgConnection.connect({
      host: '127.0.0.1',
      port,
      user: 'viva',
      password: 'wrong',
      database: 'postgres',
      connectTimeoutMs: 5000,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PgError);
    expect((err as PgError).code).toBe('28P01');
  });
});
