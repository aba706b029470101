import nock from 'nock';
import { afterEach, describe, expect, it } from 'vitest';
import { WriteError } from '../../../core/model/errors/errors.ts';
import { Metric } from '../../../core/model/metric/metric.ts';
import { parseConfig, testContext } from '../../../core/plugin/testing.ts';
import type { OutputInstance } from '../../../core/plugin/types.ts';
import { influxdbV2Output } from './index.ts';

const BASE = 'http://influx-v2.test:8086';
const open: OutputInstance[] = [];

afterEach(async () => {
  nock.cleanAll();
  for (const o of open.splice(0)) await o.close?.();
});

async function output(table: Record<string, unknown> = {}): Promise<OutputInstance> {
  const cfg = parseConfig(influxdbV2Output, {
    urls: [BASE],
    token: 'tok',
    organization: 'acme',
    bucket: 'metrics',
    content_encoding: 'identity',
    ...table,
  });
  const out = await influxdbV2Output.create(cfg, testContext(influxdbV2Output));
  await out.connect?.();
  open.push(out);
  return out;
}

const metrics = (n: number): Metric[] =>
  Array.from(
    { length: n },
    (_, i) => new Metric('m', { host: `h${i}` }, { v: i + 0.5 }, 1_700_000_000_000 + i, 7),
  );

/** The v2 error body InfluxDB documents: `{"code": ..., "message": ...}`. */
const v2Error = (code: string, message: string): { code: string; message: string } => ({ code, message });

const failure = async (p: Promise<void>): Promise<WriteError> => {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(WriteError);
  return e as WriteError;
};

describe('influxdb_v2 output', () => {
  it('should post line protocol to /api/v2/write with org, bucket, precision and the token', async () => {
    let seen: { auth?: string | null; body?: string } = {};
    const scope = nock(BASE)
      .post('/api/v2/write')
      .query({ org: 'acme', bucket: 'metrics', precision: 'ns' })
      .reply(async (req: Request) => {
        seen = { auth: req.headers.get('authorization'), body: await req.text() };
        return [204];
      });
    const out = await output();
    await out.write(metrics(2));
    expect(scope.isDone()).toBe(true);
    expect(seen.auth).toBe('Token tok');
    expect(seen.body).toBe('m,host=h0 v=0.5 1700000000000000007\nm,host=h1 v=1.5 1700000000001000007\n');
  });

  it('should send gzip bodies with Content-Encoding: gzip', async () => {
    let body = '';
    nock(BASE)
      .post('/api/v2/write')
      .query(true)
      .matchHeader('content-encoding', 'gzip')
      .reply(async (req: Request) => {
        // nock hands over the request already decompressed.
        body = await req.text();
        return [204];
      });
    const out = await output({ content_encoding: 'gzip', precision: 's' });
    await out.write(metrics(1));
    expect(body).toBe('m,host=h0 v=0.5 1700000000\n');
  });

  it('should reject only the metrics a 400 partial write dropped', async () => {
    nock(BASE)
      .post('/api/v2/write')
      .query(true)
      .reply(
        400,
        v2Error(
          'invalid',
          "partial write: unable to parse 'm,host=h1 v=1.5 1700000000001000007': invalid field format dropped=0",
        ),
      );
    const out = await output();
    const err = await failure(out.write(metrics(3)));
    expect(err.kind).toBe('partial');
    expect(err.rejected.map((r) => r.index)).toEqual([1]);
    expect(err.retry).toEqual([]);
  });

  it('should reject the unparsable line and send the others again when a 400 refused the whole batch', async () => {
    nock(BASE)
      .post('/api/v2/write')
      .query(true)
      .reply(400, v2Error('invalid', "unable to parse 'm,host=h0 v=0.5 1700000000000000007': bad timestamp"));
    const out = await output();
    const err = await failure(out.write(metrics(3)));
    expect(err.kind).toBe('partial');
    expect(err.rejected.map((r) => r.index)).toEqual([0]);
    expect(err.retry).toEqual([1, 2]);
  });

  it('should drop the points of a 422 field type conflict and count the rest as written', async () => {
    nock(BASE)
      .post('/api/v2/write')
      .query(true)
      .reply(
        422,
        v2Error(
          'unprocessable entity',
          'failure writing points to database: partial write: field type conflict: input field "v" on measurement "m" is type float, already exists as type integer dropped=1',
        ),
      );
    const batch = metrics(3);
    batch[1].setInt('v', 1);
    batch[2].name = 'other';
    const err = await failure((await output()).write(batch));
    expect(err.kind).toBe('partial');
    expect(err.rejected.map((r) => r.index)).toEqual([0]);
    expect(err.retry).toEqual([]);
  });

  it('should drop the whole batch when a 422 says every point was dropped', async () => {
    nock(BASE)
      .post('/api/v2/write')
      .query(true)
      .reply(
        422,
        v2Error(
          'unprocessable entity',
          'failure writing points to database: partial write: points beyond retention policy dropped=3',
        ),
      );
    const err = await failure((await output()).write(metrics(3)));
    expect(err.kind).toBe('permanent');
  });

  it('should retry a 401 with a message about the token', async () => {
    nock(BASE).post('/api/v2/write').query(true).reply(401, v2Error('unauthorized', 'unauthorized access'));
    const err = await failure((await output()).write(metrics(1)));
    expect(err.kind).toBe('retryable');
    expect(err.message).toMatch(/token/);
  });

  it('should split a batch in halves on 413 until the parts fit', async () => {
    const sizes: number[] = [];
    nock(BASE)
      .post('/api/v2/write')
      .query(true)
      .times(7)
      .reply(async (req: Request) => {
        const lines = (await req.text()).split('\n').filter((l) => l !== '').length;
        sizes.push(lines);
        return lines > 2
          ? [413, v2Error('request too large', 'unable to read data: points batch is too large')]
          : [204];
      });
    const out = await output();
    await out.write(metrics(8));
    expect(sizes).toEqual([8, 4, 2, 2, 4, 2, 2]);
  });

  it('should hand the unsent half back for retry when the server fails after a 413 split', async () => {
    nock(BASE).post('/api/v2/write').query(true).reply(413, v2Error('request too large', 'too large'));
    nock(BASE).post('/api/v2/write').query(true).reply(204);
    nock(BASE)
      .post('/api/v2/write')
      .query(true)
      .reply(503, v2Error('unavailable', 'down'), { 'retry-after': '7' });
    const err = await failure((await output()).write(metrics(4)));
    expect(err.kind).toBe('partial');
    expect(err.retry).toEqual([2, 3]);
    expect(err.rejected).toEqual([]);
    expect(err.retryAfterMs).toBe(7000);
  });

  it('should honour Retry-After on 429', async () => {
    nock(BASE)
      .post('/api/v2/write')
      .query(true)
      .reply(429, v2Error('too many requests', 'org over quota'), { 'retry-after': '30' });
    const err = await failure((await output()).write(metrics(1)));
    expect(err).toMatchObject({ kind: 'retryable', retryAfterMs: 30_000 });
  });

  it('should retry a 503 and fail over to the next url', async () => {
    nock(BASE)
      .post('/api/v2/write')
      .query(true)
      .reply(503, v2Error('unavailable', 'service unavailable'), { 'retry-after': '2' });
    const second = nock('http://influx-v2-b.test:8086').post('/api/v2/write').query(true).reply(204);
    const out = await output({ urls: [BASE, 'http://influx-v2-b.test:8086'] });
    await out.write(metrics(1));
    expect(second.isDone()).toBe(true);
  });

  it('should be retryable with the server Retry-After when every url answers 503', async () => {
    nock(BASE)
      .post('/api/v2/write')
      .query(true)
      .reply(503, v2Error('unavailable', 'service unavailable'), { 'retry-after': '2' });
    const err = await failure((await output()).write(metrics(1)));
    expect(err).toMatchObject({ kind: 'retryable', retryAfterMs: 2000 });
  });
});
