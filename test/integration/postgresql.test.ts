/**
 * The postgresql input (on the `pg` driver) against the real PostgreSQL of scripts/services.sh
 * (started by the integration setup): a SCRAM-SHA-256 user and an MD5 role, TLS, and queries whose
 * rows must come back as metrics. Every run works in a schema of its own, dropped afterwards, since other
 * checkouts may share the server. When the server is not reachable, every test fails.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig, testContext, TestAccumulator } from '../../core/plugin/testing.ts';
import { postgresqlInput } from '../../plugins/inputs/postgresql/index.ts';
import { PostgresqlInput } from '../../plugins/inputs/postgresql/postgresql.ts';
import pg from 'pg';
import { serviceAddresses } from '../setup/services.ts';

const NOW = 1_764_140_000_000;
const pgs = serviceAddresses().postgres;
const server = `${pgs.host}:${pgs.port}`;
const schema = `viva_it_${process.pid}_${Date.now()}`;
const jobs = `${schema}.jobs`;

/** A connection URL for the test database. */
function address(user: string, password?: string, query = ''): string {
  const auth = password === undefined ? user : `${user}:${encodeURIComponent(password)}`;
  return `postgres://${auth}@${server}/${pgs.database}${query}`;
}

async function connect(user: string, password: string): Promise<pg.Client> {
  const c = new pg.Client({
    host: pgs.host,
    port: pgs.port,
    user,
    password,
    database: pgs.database,
    connectionTimeoutMillis: 5000,
  });
  await c.connect();
  return c;
}

let owner: pg.Client | undefined;
let unreachable: Error | undefined;

beforeAll(async () => {
  try {
    owner = await connect(pgs.user, pgs.password);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    unreachable = new Error(
      `PostgreSQL at ${server} (user ${pgs.user}, database ${pgs.database}) is not reachable: ${why}; ` +
        '`bash scripts/services.sh up postgres` starts it',
      { cause: e },
    );
    return;
  }
  await owner.query(`
    CREATE SCHEMA ${schema};
    CREATE TABLE ${jobs} (queue text, host text, depth int, big int8, ratio float8, cost numeric, ok bool, note text, at timestamptz);
    INSERT INTO ${jobs} VALUES
      ('mail', 'a', 3, 9007199254740993, 0.25, 12.5, true, 'x', '2025-11-26 07:02:55.123456+00'),
      ('sms', 'b', 0, -1, 'NaN', NULL, false, NULL, '2025-11-26 09:02:55+02');
    GRANT USAGE ON SCHEMA ${schema} TO "${pgs.md5User}";
    GRANT SELECT ON ${jobs} TO "${pgs.md5User}";
  `);
}, 30_000);

afterAll(async () => {
  if (owner === undefined) return;
  try {
    await owner.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await owner.end();
  }
});

// Without the server every test fails with the reason (a failing beforeAll would only skip them).
beforeEach(() => {
  if (unreachable !== undefined) throw unreachable;
});

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

describe('postgresql input against the PostgreSQL of scripts/services.sh', () => {
  it('should turn rows into metrics with typed fields, tag columns and a time column', async () => {
    const acc = await gather({
      address: address(pgs.user, pgs.password, '?sslmode=disable'),
      query: [
        {
          sql: `SELECT queue, host, depth, big, ratio, cost, ok, note, at FROM ${jobs} ORDER BY queue`,
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
      address: address(pgs.user),
      password: pgs.password,
      server_tag: true,
      query: [
        {
          sql: `SELECT queue, depth, ratio FROM ${jobs} ORDER BY queue`,
          measurement: 'q',
          tag_columns: ['queue'],
          field_columns: ['depth'],
        },
      ],
    });
    expect(acc.metrics.map((m) => [m.tags, m.fields, m.timeMs])).toEqual([
      [{ queue: 'mail', server }, { depth: 3 }, NOW],
      [{ queue: 'sms', server }, { depth: 0 }, NOW],
    ]);
  });

  it('should negotiate TLS with sslmode=require', async () => {
    const acc = await gather({
      address: address(pgs.user, pgs.password, '?sslmode=require'),
      query: [{ sql: 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()', measurement: 'tls' }],
    });
    expect(acc.metrics[0].fields).toEqual({ ssl: true });
  });

  it('should log in the SCRAM-SHA-256 user and the MD5 role', async () => {
    const scram = await gather({
      address: address(pgs.user, pgs.password),
      query: [{ sql: 'SELECT current_user AS who', measurement: 'who' }],
    });
    expect(scram.metrics[0].fields).toEqual({ who: pgs.user });
    const acc = await gather({
      address: address(pgs.md5User, pgs.md5Password),
      query: [{ sql: `SELECT count(*) AS n FROM ${jobs}`, measurement: 'count' }],
    });
    expect(acc.metrics[0].fields).toEqual({ n: 2 });
  });

  it('should run the pg_stat_database query when none is configured', async () => {
    const acc = await gather({ address: address(pgs.user, pgs.password) });
    const db = acc.metrics.find((m) => m.tags.db === pgs.database);
    expect(db?.name).toBe('postgresql');
    expect(db?.fieldType('xact_commit')).toBe('int');
  });

  it('should fail the gather with the server error but keep the other queries', async () => {
    const table = {
      address: address(pgs.user, pgs.password),
      query: [
        { sql: `SELECT * FROM ${schema}.nope`, measurement: 'bad' },
        { sql: 'SELECT 1 AS one', measurement: 'good' },
      ],
    };
    const ctx = testContext(postgresqlInput);
    const input = new PostgresqlInput(parseConfig(postgresqlInput, table), ctx);
    const acc = new TestAccumulator();
    await expect(input.gather(acc)).rejects.toThrow(/bad: relation ".*\.nope" does not exist/);
    await input.stop();
    expect(acc.metrics.map((m) => m.name)).toEqual(['good']);
  });

  it('should fail the gather on a wrong password with the server error', async () => {
    const ctx = testContext(postgresqlInput);
    const input = new PostgresqlInput(
      parseConfig(postgresqlInput, {
        address: address(pgs.user, `${pgs.password}-wrong`),
        query: [{ sql: 'SELECT 1 AS one', measurement: 'one' }],
      }),
      ctx,
    );
    await expect(input.gather(new TestAccumulator())).rejects.toThrow(/password authentication failed/);
    await input.stop();
  });
});
