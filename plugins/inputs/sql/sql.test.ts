import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig, TestAccumulator, testContext } from '../../../core/plugin/testing.ts';
import type { PluginContext } from '../../../core/plugin/types.ts';
import { sqlInput } from './index.ts';
import { SqlInput } from './sql.ts';

const NOW = 1_764_140_000_000;
let dir: string;
let file: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'viva-sql-'));
  file = path.join(dir, 'events.db');
  const db = new DatabaseSync(file);
  db.exec(`
    CREATE TABLE events (id INTEGER PRIMARY KEY, host TEXT, n INTEGER, ratio REAL, note TEXT, at TEXT, ns INTEGER);
    INSERT INTO events VALUES
      (1, 'a', 9007199254740993, 1.0, 'x', '2025-11-26 07:02:55.123456789', 1764140575123456789),
      (2, 'b', -3, 0.5, NULL, '2025-11-26T07:02:56Z', 1764140576000000000);
  `);
  db.close();
});

afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A context whose state directory is in the test's temp dir. */
function context(): PluginContext {
  const ctx = testContext(sqlInput, { clock: { now: () => NOW, monotonic: () => performance.now() } });
  const stateDir = path.join(dir, 'state');
  return Object.defineProperty({ ...ctx }, 'stateDir', { get: () => stateDir });
}

async function gatherOnce(input: SqlInput): Promise<TestAccumulator> {
  const acc = new TestAccumulator();
  await input.gather(acc);
  return acc;
}

describe('sql input on a SQLite file', () => {
  it('should keep integers integers (beyond 2^53 exact), reals floats, and read the time exactly', async () => {
    const input = new SqlInput(
      parseConfig(sqlInput, {
        driver: 'sqlite',
        dsn: file,
        query: [
          {
            sql: 'SELECT id, host, n, ratio, note, at FROM events ORDER BY id',
            measurement: 'ev',
            tag_columns: ['host'],
            time_column: 'at',
          },
        ],
      }),
      context(),
    );
    const acc = await gatherOnce(input);
    await input.stop();
    const [a, b] = acc.metrics;
    expect(a.tags).toEqual({ host: 'a' });
    expect(a.fields).toEqual({ id: 1, n: 9007199254740993n, ratio: 1, note: 'x' });
    expect(a.fieldType('n')).toBe('int');
    expect(a.fieldType('ratio')).toBe('float');
    expect([a.timeMs, a.timeNs]).toEqual([Date.UTC(2025, 10, 26, 7, 2, 55, 123), 456_789]);
    expect(b.fields).toEqual({ id: 2, n: -3, ratio: 0.5 });
    expect([b.fieldType('id'), b.fieldType('n')]).toEqual(['int', 'int']);
    expect([b.timeMs, b.timeNs]).toEqual([Date.UTC(2025, 10, 26, 7, 2, 56), 0]);
  });

  it('should read an integer time column in the configured unit to the nanosecond', async () => {
    const input = new SqlInput(
      parseConfig(sqlInput, {
        driver: 'sqlite',
        dsn: file,
        query: [
          {
            sql: 'SELECT id, ns FROM events WHERE id = 1',
            measurement: 'ev',
            time_column: 'ns',
            time_format: 'unix_ns',
          },
        ],
      }),
      context(),
    );
    const acc = await gatherOnce(input);
    await input.stop();
    expect([acc.metrics[0].timeMs, acc.metrics[0].timeNs]).toEqual([1764140575123, 456_789]);
  });

  it('should read each row of an incremental query once, across a restart, after delivery', async () => {
    const table = {
      driver: 'sqlite',
      dsn: file,
      query: [
        {
          sql: 'SELECT id, n FROM events WHERE id > {{mark}} ORDER BY id',
          measurement: 'ev',
          mark_column: 'id',
        },
      ],
    };
    const first = new SqlInput(parseConfig(sqlInput, table), context());
    const acc1 = await gatherOnce(first);
    expect(acc1.metrics.map((m) => m.fields.id)).toEqual([1, 2]);
    expect((await gatherOnce(first)).metrics).toEqual([]);
    acc1.ackAll(true);
    await first.stop();

    const db = new DatabaseSync(file);
    db.exec("INSERT INTO events (id, host, n) VALUES (3, 'c', 7)");
    db.close();
    const second = new SqlInput(parseConfig(sqlInput, table), context());
    const acc2 = await gatherOnce(second);
    await second.stop();
    expect(acc2.metrics.map((m) => m.fields.id)).toEqual([3]);
  });

  it('should re-read rows after a restart when their batch was never delivered', async () => {
    const table = {
      driver: 'sqlite',
      dsn: file,
      query: [{ sql: 'SELECT id FROM events WHERE id > {{mark}}', measurement: 'ev', mark_column: 'id' }],
    };
    const first = new SqlInput(parseConfig(sqlInput, table), context());
    await gatherOnce(first);
    await first.stop();
    const second = new SqlInput(parseConfig(sqlInput, table), context());
    const acc = await gatherOnce(second);
    await second.stop();
    expect(acc.metrics).toHaveLength(2);
  });

  it('should fail the gather naming the bad query, and still deliver the good one', async () => {
    const input = new SqlInput(
      parseConfig(sqlInput, {
        driver: 'sqlite',
        dsn: file,
        query: [
          { sql: 'SELECT * FROM nope', measurement: 'bad' },
          { sql: 'SELECT count(*) AS n FROM events', measurement: 'good' },
        ],
      }),
      context(),
    );
    const acc = new TestAccumulator();
    await expect(input.gather(acc)).rejects.toThrow(/bad: no such table: nope/);
    await input.stop();
    expect(acc.metrics.map((m) => [m.name, m.fields])).toEqual([['good', { n: 2 }]]);
  });

  it('should run a query with its own interval at most that often', async () => {
    let mono = 0;
    const ctx = testContext(sqlInput, { clock: { now: () => NOW, monotonic: () => mono } });
    const input = new SqlInput(
      parseConfig(sqlInput, {
        driver: 'sqlite',
        dsn: file,
        query: [
          { sql: 'SELECT count(*) AS n FROM events', measurement: 'often' },
          { sql: 'SELECT count(*) AS n FROM events', measurement: 'hourly', interval: '1h' },
        ],
      }),
      ctx,
    );
    const names: string[][] = [];
    for (const at of [0, 60_000, 3_600_000]) {
      mono = at;
      names.push((await gatherOnce(input)).metrics.map((m) => m.name));
    }
    await input.stop();
    expect(names).toEqual([['often', 'hourly'], ['often'], ['often', 'hourly']]);
  });

  it('should refuse a mark_column without {{mark}} in the SQL', () => {
    expect(() =>
      parseConfig(sqlInput, {
        driver: 'sqlite',
        dsn: file,
        query: [{ sql: 'SELECT id FROM events', measurement: 'ev', mark_column: 'id' }],
      }),
    ).toThrow(/\{\{mark\}\}/);
  });
});
