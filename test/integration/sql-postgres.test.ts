/**
 * The sql input with driver "postgres" against the real PostgreSQL of scripts/services.sh: exact
 * types, events read once across a restart of a real agent, bad SQL and a wrong password as
 * clear errors; and against a private server restarted mid-run, a reconnect by the same input.
 */
import fs from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig, TestAccumulator, testContext } from '../../core/plugin/testing.ts';
import { sqlInput } from '../../plugins/inputs/sql/index.ts';
import { SqlInput } from '../../plugins/inputs/sql/sql.ts';
import { tempDir, waitFor } from '../helpers/viva.ts';
import { serviceAddresses } from '../setup/services.ts';
import { PrivatePostgres } from './support/private-postgres.ts';
import { readOnceAcrossRestart } from './support/sql.ts';

const pgs = serviceAddresses().postgres;
const schema = `viva_it_sql_${process.pid}_${Date.now()}`;
const dsn = (password = pgs.password): string =>
  `postgres://${pgs.user}:${encodeURIComponent(password)}@${pgs.host}:${pgs.port}/${pgs.database}?sslmode=disable`;

let owner: pg.Client | undefined;
let unreachable: Error | undefined;
const dirs: string[] = [];

beforeAll(async () => {
  const c = new pg.Client({ connectionString: dsn() });
  try {
    await c.connect();
  } catch (e) {
    unreachable = new Error(
      `PostgreSQL at ${pgs.host}:${pgs.port} is not reachable: ${e instanceof Error ? e.message : String(e)}; ` +
        '`bash scripts/services.sh up postgres` starts it',
      { cause: e },
    );
    return;
  }
  owner = c;
  await owner.query(`
    CREATE SCHEMA ${schema};
    CREATE TABLE ${schema}.m (host text, big int8, small int2, ratio float8, ok bool, at timestamptz);
    INSERT INTO ${schema}.m VALUES ('a', -9223372036854775808, 7, 1, true, '2025-11-26 07:02:55.000001+00');
    CREATE TABLE ${schema}.events (id int8 PRIMARY KEY, host text);
  `);
}, 60_000);

afterAll(async () => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  if (owner === undefined) return;
  try {
    await owner.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await owner.end();
  }
});

beforeEach(() => {
  if (unreachable !== undefined) throw unreachable;
});

function input(table: Record<string, unknown>): SqlInput {
  return new SqlInput(
    parseConfig(sqlInput, { driver: 'postgres', dsn: dsn(), ...table }),
    testContext(sqlInput),
  );
}

describe('sql input against the PostgreSQL of scripts/services.sh', () => {
  it('should keep int8 exact, floats floats and the timestamp to the microsecond', async () => {
    const i = input({
      query: [
        { sql: `SELECT * FROM ${schema}.m`, measurement: 'm', tag_columns: ['host'], time_column: 'at' },
      ],
    });
    const acc = new TestAccumulator();
    await i.gather(acc);
    await i.stop();
    const [m] = acc.metrics;
    expect(m.fields).toEqual({ big: -9223372036854775808n, small: 7, ratio: 1, ok: true });
    expect(['big', 'small', 'ratio'].map((k) => m.fieldType(k))).toEqual(['int', 'int', 'float']);
    expect([m.timeMs, m.timeNs]).toEqual([Date.UTC(2025, 10, 26, 7, 2, 55), 1000]);
  });

  it('should read each event once across a restart of the agent, with an id as the mark', async () => {
    const dir = tempDir('viva-sql-pg-');
    dirs.push(dir);
    await readOnceAcrossRestart({
      dir,
      env: { EVENTS_DSN: dsn() },
      inputToml: `[[inputs.sql]]
driver = "postgres"
dsn = "\${EVENTS_DSN}"
[[inputs.sql.query]]
sql = "SELECT id, host FROM ${schema}.events WHERE id > {{mark}} ORDER BY id LIMIT 2"
measurement = "events"
tag_columns = ["host"]
mark_column = "id"`,
      insert: async (ids) => {
        await owner?.query(`INSERT INTO ${schema}.events SELECT x, 'h' || x FROM unnest($1::int8[]) AS x`, [
          ids,
        ]);
      },
    });
  });

  it('should fail the gather on bad SQL and on a wrong password with the server messages', async () => {
    const bad = input({ query: [{ sql: `SELECT * FROM ${schema}.nope`, measurement: 'bad' }] });
    await expect(bad.gather(new TestAccumulator())).rejects.toThrow(
      /bad: relation ".*\.nope" does not exist/,
    );
    await bad.stop();
    const denied = new SqlInput(
      parseConfig(sqlInput, {
        driver: 'pgx',
        dsn: dsn('wrong'),
        query: [{ sql: 'SELECT 1 AS one', measurement: 'one' }],
      }),
      testContext(sqlInput),
    );
    await expect(denied.gather(new TestAccumulator())).rejects.toThrow(
      /one: password authentication failed for user "viva"/,
    );
    await denied.stop();
  });
});

describe('sql input statement timeouts on PostgreSQL', () => {
  it('should have the server cancel a statement past query_timeout, and run the next one', async () => {
    const i = input({
      query_timeout: '300ms',
      query: [
        { sql: 'SELECT pg_sleep(5) IS NULL AS slept', measurement: 'slow' },
        { sql: 'SELECT 1 AS one', measurement: 'fast' },
      ],
    });
    const acc = new TestAccumulator();
    const started = Date.now();
    await expect(i.gather(acc)).rejects.toThrow(/slow: canceling statement due to statement timeout/);
    await i.stop();
    expect(Date.now() - started).toBeLessThan(4000);
    expect(acc.metrics.map((m) => m.name)).toEqual(['fast']);
  });
});

describe('sql input against a private PostgreSQL restarted mid-run', () => {
  it('should fail while the server is down and read again once it is back, on the same input', async () => {
    const server = await PrivatePostgres.create();
    const i = new SqlInput(
      parseConfig(sqlInput, {
        driver: 'postgres',
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
      await expect(i.gather(new TestAccumulator())).rejects.toThrow(
        /probe: .*(ECONNREFUSED|terminat|Connection)/i,
      );

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
