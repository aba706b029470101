/**
 * The postgresql input against the real PostgreSQL 15 of scripts/services.sh (started by the
 * integration setup): a SCRAM-SHA-256 user and an MD5 role, TLS, and queries whose rows must come
 * back as metrics. Every run works in a schema of its own, dropped afterwards, since other
 * checkouts may share the server. When the server is not reachable, every test fails.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig, testContext, TestAccumulator } from '../../core/plugin/testing.ts';
import { postgresqlInput } from '../../plugins/inputs/postgresql/index.ts';
import { PostgresqlInput } from '../../plugins/inputs/postgresql/postgresql.ts';
import { PgConnection, PgError } from '../../plugins/inputs/postgresql/wire.ts';
import { serviceAddresses } from '../setup/services.ts';

const NOW = 1_764_140_000_000;
const pg = serviceAddresses().postgres;
const server = `${pg.host}:${pg.port}`;
const schema = `viva_it_${process.pid}_${Date.now()}`;
const jobs = `${schema}.jobs`;

/** A connection URL for the test database. */
function address(user: string, password?: string, query = ''): string {
  const auth = password === undefined ? user : `${user}:${encodeURIComponent(password)}`;
  return `postgres://${auth}@${server}/${pg.database}${query}`;
}

function connect(user: string, password: string): Promise<PgConnection> {
  return PgConnection.connect({
    host: pg.host,
    port: pg.port,
    user,
    password,
    database: pg.database,
    connectTimeoutMs: 5000,
  });
}

let owner: PgConnection | undefined;
let unreachable: Error | undefined;

beforeAll(async () => {
  try {
    owner = await connect(pg.user, pg.password);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    unreachable = new Error(
      `PostgreSQL at ${server} (user ${pg.user}, database ${pg.database}) is not reachable: ${why}; ` +
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
    GRANT USAGE ON SCHEMA ${schema} TO "${pg.md5User}";
    GRANT SELECT ON ${jobs} TO "${pg.md5User}";
  `);
}, 30_000);

afterAll(async () => {
  if (owner === undefined) return;
  try {
    await owner.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await owner.close();
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
      address: address(pg.user, pg.password, '?sslmode=disable'),
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
      address: address(pg.user),
      password: pg.password,
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
      address: address(pg.user, pg.password, '?sslmode=require'),
      query: [{ sql: 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()', measurement: 'tls' }],
    });
    expect(acc.metrics[0].fields).toEqual({ ssl: true });
  });

  it('should authenticate the test user with SCRAM-SHA-256', async () => {
    const conn = await connect(pg.user, pg.password);
    try {
      expect(conn.authMethod).toBe('scram-sha-256');
      const [result] = await conn.query('SELECT current_user AS who');
      expect(result.rows).toEqual([[pg.user]]);
    } finally {
      await conn.close();
    }
  });

  it('should authenticate with an MD5 password', async () => {
    const conn = await connect(pg.md5User, pg.md5Password);
    try {
      expect(conn.authMethod).toBe('md5');
    } finally {
      await conn.close();
    }
    const acc = await gather({
      address: address(pg.md5User, pg.md5Password),
      query: [{ sql: `SELECT count(*) AS n FROM ${jobs}`, measurement: 'count' }],
    });
    expect(acc.metrics[0].fields).toEqual({ n: 2 });
  });

  it('should run the pg_stat_database query when none is configured', async () => {
    const acc = await gather({ address: address(pg.user, pg.password) });
    const db = acc.metrics.find((m) => m.tags.db === pg.database);
    expect(db?.name).toBe('postgresql');
    expect(db?.fieldType('xact_commit')).toBe('int');
  });

  it('should fail the gather with the server error but keep the other queries', async () => {
    const table = {
      address: address(pg.user, pg.password),
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

  it('should refuse a wrong password with the server error', async () => {
    const err = await connect(pg.user, `${pg.password}-wrong`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PgError);
    expect((err as PgError).code).toBe('28P01');
  });
});
