/**
 * The influxdb output against the real InfluxDB 1.6: exact values and nanosecond timestamps read
 * back with /query, database creation, partial writes and failover.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WriteError } from '../../core/model/errors/errors.ts';
import { Metric } from '../../core/model/metric/metric.ts';
import { parseConfig, testContext } from '../../core/plugin/testing.ts';
import type { OutputInstance } from '../../core/plugin/types.ts';
import { influxdbOutput } from '../../plugins/outputs/influxdb/index.ts';
import { dropDatabase, influxQuery, influxRows, influxUrl, uniqueDatabase } from './support/influx.ts';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function output(table: Record<string, unknown>): Promise<OutputInstance> {
  const out = await influxdbOutput.create(parseConfig(influxdbOutput, table), testContext(influxdbOutput));
  await out.connect?.();
  cleanup.push(async () => out.close?.());
  return out;
}

function database(): string {
  const db = uniqueDatabase('viva_it');
  cleanup.push(() => dropDatabase(db));
  return db;
}

describe('influxdb output', () => {
  it('should write every field type and read back exact values and nanosecond timestamps', async () => {
    const db = database();
    const out = await output({ urls: [influxUrl()], database: db });
    const m = new Metric(
      'exact',
      { host: 'a b', 'k,1': 'v=1' },
      { f: 1.5, s: 'say "hi" \\ ok', b: true },
      1_700_000_000_123,
      456_789,
    );
    m.setInt('i', -42);
    m.setInt('big', 9_007_199_254_740_993n);
    m.setInt('u', 7, 'uint');
    const second = new Metric('exact', { host: 'c' }, { f: -0.25 }, 1_700_000_000_124, 1);
    await out.write([m, second]);
    expect(await influxRows(db, 'exact')).toEqual([
      {
        time: '1700000000123456789',
        host: 'a b',
        'k,1': 'v=1',
        f: '1.5',
        s: 'say "hi" \\ ok',
        b: true,
        i: '-42',
        big: '9007199254740993',
        u: '7',
      },
      {
        time: '1700000000124000001',
        host: 'c',
        'k,1': null,
        f: '-0.25',
        s: null,
        b: null,
        i: null,
        big: null,
        u: null,
      },
    ]);
    // The unsigned field went in as an integer (InfluxDB 1.6 refuses `7u`).
    const types = await influxQuery('SHOW FIELD KEYS FROM "exact"', db);
    expect(Object.fromEntries(types[0].values.map(([k, t]) => [k, t]))).toMatchObject({
      u: 'integer',
      i: 'integer',
      f: 'float',
    });
  });

  it('should create the database again when it disappears while running', async () => {
    const db = database();
    const out = await output({ urls: [influxUrl()], database: db });
    await out.write([new Metric('again', {}, { v: 1 }, 1_000)]);
    await dropDatabase(db);
    await out.write([new Metric('again', {}, { v: 2 }, 2_000)]);
    expect((await influxRows(db, 'again')).map((r) => r.v)).toEqual(['2']);
  });

  it('should accept part of a batch and reject only the points with a field type conflict', async () => {
    const db = database();
    const out = await output({ urls: [influxUrl()], database: db, precision: 's' });
    const int = (name: string, v: number, t: number): Metric => {
      const m = new Metric(name, {}, {}, t * 1000);
      m.setInt('v', v);
      return m;
    };
    await out.write([int('conflict', 1, 1)]);
    const batch = [
      int('conflict', 2, 2),
      new Metric('conflict', {}, { v: 2.5 }, 3000),
      int('other', 1, 4),
      new Metric('conflict', {}, { v: 3.5 }, 5000),
    ];
    const err = await out.write(batch).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WriteError);
    expect(err).toMatchObject({ kind: 'partial', retry: [] });
    expect((err as WriteError).rejected.map((r) => r.index)).toEqual([1, 3]);
    expect((err as WriteError).rejected[0].reason).toMatch(/field type conflict/);
    expect((await influxRows(db, 'conflict')).map((r) => [r.time, r.v])).toEqual([
      ['1000000000', '1'],
      ['2000000000', '2'],
    ]);
    expect(await influxRows(db, 'other')).toHaveLength(1);
  });

  it('should fail over to the next url when the first does not answer', async () => {
    const db = database();
    const out = await output({ urls: ['http://127.0.0.1:1', influxUrl()], database: db, timeout: '2s' });
    await out.write([new Metric('failover', {}, { v: 1 }, 1_000)]);
    expect(await influxRows(db, 'failover')).toHaveLength(1);
  });

  it('should throw a retryable error while no url answers', async () => {
    const out = await output({ urls: ['http://127.0.0.1:1'], database: 'never', timeout: '1s' });
    await expect(out.write([new Metric('x', {}, { v: 1 }, 1)])).rejects.toMatchObject({ kind: 'retryable' });
  });
});
