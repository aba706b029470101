import nock from 'nock';
import { afterEach, describe, expect, it } from 'vitest';
import { WriteError } from '../../../core/model/errors/errors.ts';
import { Metric } from '../../../core/model/metric/metric.ts';
import { parseConfig, testContext } from '../../../core/plugin/testing.ts';
import type { OutputInstance } from '../../../core/plugin/types.ts';
import { withoutUnsigned } from './influxdb.ts';
import { influxdbOutput } from './index.ts';

// InfluxDB 1.6 runs for real in test/integration/influxdb.test.ts; the answers it cannot be made
// to give on this machine (401, 413, 429, 503) are replayed here as the 1.x API documents them.
const BASE = 'http://influx-v1.test:8086';
const open: OutputInstance[] = [];
afterEach(async () => {
  nock.cleanAll();
  for (const o of open.splice(0)) await o.close?.();
});

async function output(table: Record<string, unknown> = {}): Promise<OutputInstance> {
  const cfg = parseConfig(influxdbOutput, {
    urls: [BASE],
    database: 'db',
    skip_database_creation: true,
    content_encoding: 'identity',
    ...table,
  });
  const out = await influxdbOutput.create(cfg, testContext(influxdbOutput));
  await out.connect?.();
  open.push(out);
  return out;
}

const metrics = (n: number): Metric[] =>
  Array.from({ length: n }, (_, i) => new Metric('m', { host: `h${i}` }, { v: i + 0.5 }, 1_000 + i));
const v1Error = (error: string): { error: string } => ({ error });
const failure = async (p: Promise<void>): Promise<WriteError> => {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(WriteError);
  return e as WriteError;
};

describe('withoutUnsigned', () => {
  it('should write unsigned fields as integers on copies and leave the shared metrics alone', () => {
    const m = new Metric('m', {}, {}, 1);
    m.setInt('u', 5, 'uint');
    const plain = new Metric('p', {}, { v: 1 }, 1);
    const out = withoutUnsigned([m, plain]);
    expect(out[0].fieldType('u')).toBe('int');
    expect(m.fieldType('u')).toBe('uint');
    expect(out[1]).toBe(plain);
  });
});

describe('influxdb output (1.x responses)', () => {
  it('should send /write with db, rp, precision and basic auth', async () => {
    let auth: string | null = null;
    const scope = nock(BASE)
      .post('/write')
      .query({ db: 'db', rp: 'week', precision: 'u' })
      .reply(async (req: Request) => {
        auth = req.headers.get('authorization');
        expect(await req.text()).toBe('m,host=h0 v=0.5 1000000\n');
        return [204];
      });
    await (
      await output({ retention_policy: 'week', precision: 'us', username: 'u', password: 'p' })
    ).write(metrics(1));
    expect(scope.isDone()).toBe(true);
    expect(auth).toBe('Basic ' + Buffer.from('u:p').toString('base64'));
  });

  it('should create a missing database and send the batch again', async () => {
    nock(BASE).post('/write').query(true).reply(404, v1Error('database not found: "db"'));
    let query = '';
    // Once on connect, once more when the write finds the database gone.
    const create = nock(BASE)
      .post('/query')
      .times(2)
      .reply(async (req: Request) => {
        query = new URLSearchParams(await req.text()).get('q') ?? '';
        return [200, { results: [{ statement_id: 0 }] }];
      });
    nock(BASE).post('/write').query(true).reply(204);
    await (await output({ skip_database_creation: false })).write(metrics(1));
    expect(create.isDone()).toBe(true);
    expect(query).toBe('CREATE DATABASE "db"');
  });

  it('should retry a 401 and say to check the credentials', async () => {
    nock(BASE).post('/write').query(true).reply(401, v1Error('authorization failed'));
    const err = await failure((await output()).write(metrics(1)));
    expect(err.kind).toBe('retryable');
    expect(err.message).toMatch(/username and password/);
  });

  it('should split a batch in halves on 413', async () => {
    const sizes: number[] = [];
    nock(BASE)
      .post('/write')
      .query(true)
      .times(3)
      .reply(async (req: Request) => {
        const n = (await req.text()).split('\n').filter((l) => l !== '').length;
        sizes.push(n);
        return n > 2 ? [413, v1Error('Request Entity Too Large')] : [204];
      });
    await (await output()).write(metrics(4));
    expect(sizes).toEqual([4, 2, 2]);
  });

  it('should drop a single metric that is still too large', async () => {
    nock(BASE).post('/write').query(true).reply(413, v1Error('Request Entity Too Large'));
    expect((await failure((await output()).write(metrics(1)))).kind).toBe('permanent');
  });

  it('should honour Retry-After on 429 and fail over on 503', async () => {
    nock(BASE).post('/write').query(true).reply(503, v1Error('service unavailable'));
    nock('http://influx-v1-b.test:8086')
      .post('/write')
      .query(true)
      .reply(429, v1Error('too many requests'), { 'retry-after': '3' });
    const err = await failure(
      (await output({ urls: [BASE, 'http://influx-v1-b.test:8086'] })).write(metrics(1)),
    );
    expect(err).toMatchObject({ kind: 'retryable', retryAfterMs: 3000 });
  });

  it('should reject a batch InfluxDB refuses without a partial write', async () => {
    nock(BASE).post('/write').query(true).reply(400, v1Error('field type conflict'));
    expect((await failure((await output()).write(metrics(2)))).kind).toBe('permanent');
  });
});
