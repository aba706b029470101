/**
 * The sql input against the real MariaDB of scripts/services.sh (started by the integration
 * setup): rows with exact types (BIGINT beyond 2^53, unsigned, DECIMAL, DATETIME(6) to the
 * microsecond), TLS, events read once across a restart of a real agent with a time mark, and a
 * bad query and a wrong password as clear, counted errors. Every run uses tables of its own,
 * dropped afterwards, since other checkouts may share the server.
 */
import fs from 'node:fs';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig, TestAccumulator, testContext } from '../../core/plugin/testing.ts';
import { sqlInput } from '../../plugins/inputs/sql/index.ts';
import { SqlInput } from '../../plugins/inputs/sql/sql.ts';
import { serviceAddresses } from '../setup/services.ts';
import { tempDir, waitFor } from '../helpers/viva.ts';
import { PrivateMariadb } from './support/private-mariadb.ts';
import { readOnceAcrossRestart } from './support/sql.ts';

const NOW = 1_764_140_000_000;
const my = serviceAddresses().mariadb;
const prefix = `viva_it_${process.pid}_${Date.now()}`;
const types = `${prefix}_types`;
const events = `${prefix}_events`;
const dsn = (password = my.password): string =>
  `mysql://${my.user}:${encodeURIComponent(password)}@${my.host}:${my.port}/${my.database}`;

let admin: mysql.Connection | undefined;
let unreachable: Error | undefined;
const dirs: string[] = [];

beforeAll(async () => {
  try {
    admin = await mysql.createConnection({
      host: my.host,
      port: my.port,
      user: my.user,
      password: my.password,
      database: my.database,
      multipleStatements: true,
    });
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    unreachable = new Error(
      `MariaDB at ${my.host}:${my.port} (user ${my.user}) is not reachable: ${why}; ` +
        '`bash scripts/services.sh up mariadb` starts it',
      { cause: e },
    );
    return;
  }
  await admin.query(`
    CREATE TABLE ${types} (queue VARCHAR(20), depth INT, big BIGINT, ubig BIGINT UNSIGNED, ratio DOUBLE,
      cost DECIMAL(10,2), note TEXT, at DATETIME(6));
    INSERT INTO ${types} VALUES
      ('mail', 3, 9007199254740993, 18446744073709551615, 0.25, 12.50, 'x', '2025-11-26 07:02:55.123456'),
      ('sms', -1, -9223372036854775808, 0, 1, NULL, NULL, '2025-11-26 07:02:56');
    CREATE TABLE ${events} (id INT PRIMARY KEY, host VARCHAR(20), at DATETIME(6));
  `);
}, 60_000);

afterAll(async () => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  if (admin === undefined) return;
  try {
    await admin.query(`DROP TABLE IF EXISTS ${types}, ${events}`);
  } finally {
    await admin.end();
  }
});

beforeEach(() => {
  if (unreachable !== undefined) throw unreachable;
});

function input(table: Record<string, unknown>): SqlInput {
  const ctx = testContext(sqlInput, { clock: { now: () => NOW, monotonic: () => performance.now() } });
  return new SqlInput(parseConfig(sqlInput, { driver: 'mariadb', dsn: dsn(), ...table }), ctx);
}

async function gather(table: Record<string, unknown>): Promise<TestAccumulator> {
  const i = input(table);
  const acc = new TestAccumulator();
  try {
    await i.gather(acc);
  } finally {
    await i.stop();
  }
  return acc;
}

describe('sql input against the MariaDB of scripts/services.sh', () => {
  it('should turn rows into metrics with exact integer, unsigned, float and time values', async () => {
    const acc = await gather({
      query: [
        {
          sql: `SELECT queue, depth, big, ubig, ratio, cost, note, at FROM ${types} ORDER BY queue`,
          measurement: 'jobs',
          tag_columns: ['queue'],
          time_column: 'at',
        },
      ],
    });
    const [mail, sms] = acc.metrics;
    expect(mail.tags).toEqual({ queue: 'mail' });
    expect(mail.fields).toEqual({
      depth: 3,
      big: 9007199254740993n,
      ubig: 18446744073709551615n,
      ratio: 0.25,
      cost: 12.5,
      note: 'x',
    });
    expect(['depth', 'big', 'ubig', 'ratio', 'cost'].map((k) => mail.fieldType(k))).toEqual([
      'int',
      'int',
      'uint',
      'float',
      'float',
    ]);
    expect([mail.timeMs, mail.timeNs]).toEqual([Date.UTC(2025, 10, 26, 7, 2, 55, 123), 456_000]);
    expect(sms.fields).toEqual({ depth: -1, big: -9223372036854775808n, ubig: 0, ratio: 1 });
    expect(sms.fieldType('ratio')).toBe('float');
    expect([sms.timeMs, sms.timeNs]).toEqual([Date.UTC(2025, 10, 26, 7, 2, 56), 0]);
  });

  it('should connect over TLS when asked', async () => {
    const acc = await gather({
      tls: 'require',
      query: [
        { sql: "SHOW SESSION STATUS LIKE 'Ssl_version'", measurement: 'tls', tag_columns: ['Variable_name'] },
      ],
    });
    expect(acc.metrics[0].fields.Value).toMatch(/^TLSv1\.[23]$/);
  });

  it('should read each event once across a restart of the agent, with a time as the mark', async () => {
    const dir = tempDir('viva-sql-mariadb-');
    dirs.push(dir);
    const lines = await readOnceAcrossRestart({
      dir,
      env: { EVENTS_DSN: dsn() },
      inputToml: `[[inputs.sql]]
driver = "mysql"
dsn = "\${EVENTS_DSN}"
[[inputs.sql.query]]
sql = "SELECT id, host, at FROM ${events} WHERE at > {{mark}} ORDER BY at LIMIT 3"
measurement = "events"
tag_columns = ["host"]
time_column = "at"
mark_column = "at"
mark_start = "1970-01-01 00:00:00"`,
      insert: async (ids) => {
        // Microseconds apart: a mark rounded to the millisecond would re-read or skip rows.
        const rows = ids.map((id) => [id, `h${id}`, `2026-12-03 10:00:00.00000${id}`]);
        await admin?.query(`INSERT INTO ${events} (id, host, at) VALUES ?`, [rows]);
      },
    });
    expect(lines[0]).toBe(`events,host=h1 id=1i ${Date.UTC(2026, 11, 3, 10) / 1000}000001000`);
  });

  it('should fail the gather on bad SQL with the server message, and keep the other query', async () => {
    const i = input({
      query: [
        { sql: `SELECT nope FROM ${types}`, measurement: 'bad' },
        { sql: `SELECT count(*) AS n FROM ${types}`, measurement: 'good' },
      ],
    });
    const acc = new TestAccumulator();
    await expect(i.gather(acc)).rejects.toThrow(/bad: Unknown column 'nope'/);
    await i.stop();
    expect(acc.metrics.map((m) => [m.name, m.fields])).toEqual([['good', { n: 2 }]]);
  });

  it('should give up on a statement past query_timeout, and run the next one', async () => {
    const i = input({
      query_timeout: '300ms',
      query: [
        { sql: 'SELECT SLEEP(5) AS slept', measurement: 'slow' },
        { sql: 'SELECT 1 AS one', measurement: 'fast' },
      ],
    });
    const acc = new TestAccumulator();
    const started = Date.now();
    await expect(i.gather(acc)).rejects.toThrow(/slow: .*timeout/i);
    expect(Date.now() - started).toBeLessThan(4000);
    expect(acc.metrics.map((m) => m.name)).toEqual(['fast']);
    // The pool goes on with a fresh session.
    const again = new TestAccumulator();
    await expect(i.gather(again)).rejects.toThrow(/slow: /);
    await i.stop();
    expect(again.metrics.map((m) => m.name)).toEqual(['fast']);
  });

  it('should fail the gather on a wrong password with the server message', async () => {
    const i = new SqlInput(
      parseConfig(sqlInput, {
        driver: 'mysql',
        dsn: dsn('wrong'),
        query: [{ sql: 'SELECT 1 AS one', measurement: 'one' }],
      }),
      testContext(sqlInput),
    );
    await expect(i.gather(new TestAccumulator())).rejects.toThrow(/one: Access denied for user 'viva'/);
    await i.stop();
  });
});

describe('sql input against a private MariaDB restarted mid-run', () => {
  it('should fail while the server is down and read again once it is back, on the same input', async () => {
    const server = await PrivateMariadb.create();
    const i = new SqlInput(
      parseConfig(sqlInput, {
        driver: 'mysql',
        dsn: server.url,
        connect_timeout: '2s',
        query: [{ sql: 'SELECT 1 AS up', measurement: 'probe' }],
      }),
      testContext(sqlInput),
    );
    try {
      const before = new TestAccumulator();
      await i.gather(before);
      expect(before.metrics.map((m) => m.fields)).toEqual([{ up: 1 }]);

      await server.stop();
      await expect(i.gather(new TestAccumulator())).rejects.toThrow(/probe: /);

      await server.start();
      const after = await waitFor(
        async () => {
          const acc = new TestAccumulator();
          await i.gather(acc);
          return acc.metrics;
        },
        'a gather to succeed after the restart',
        30_000,
        200,
      );
      expect(after.map((m) => m.fields)).toEqual([{ up: 1 }]);
    } finally {
      await i.stop();
      await server.destroy();
    }
  });
});
