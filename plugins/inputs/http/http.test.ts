import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig, testContext, TestAccumulator } from '../../../core/plugin/testing.ts';
import { HttpInput } from './http.ts';
import { httpInput } from './index.ts';

const NOW = 1_764_140_000_000;
const servers: http.Server[] = [];
const inputs: HttpInput[] = [];
afterEach(async () => {
  for (const i of inputs.splice(0)) await i.stop();
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

interface Seen {
  method?: string;
  headers?: http.IncomingHttpHeaders;
  body?: string;
}

async function serve(status: number, body: string, seen: Seen = {}): Promise<string> {
  const server = http.createServer((req, res) => {
    let b = '';
    req.on('data', (c: Buffer) => (b += c.toString()));
    req.on('end', () => {
      Object.assign(seen, { method: req.method, headers: req.headers, body: b });
      res.statusCode = status;
      res.end(body);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
}

async function poll(table: Record<string, unknown>): Promise<TestAccumulator> {
  const input = new HttpInput(
    parseConfig(httpInput, table),
    testContext(httpInput, { clock: { now: () => NOW, monotonic: () => 0 } }),
  );
  inputs.push(input);
  const acc = new TestAccumulator();
  await input.gather(acc);
  return acc;
}

const API = JSON.stringify({
  status: 'ok',
  data: {
    services: [
      {
        name: 'web',
        region: 'eu',
        stats: { requests: 120, errors: 2, up: true },
        version: 'v1.2',
        ts: '2025-11-26T07:02:55.5Z',
      },
      {
        name: 'db',
        region: 'us',
        stats: { requests: 40, errors: 0, up: false },
        version: 'v9',
        ts: '2025-11-26T07:02:56Z',
      },
    ],
  },
});

describe('http input', () => {
  it('should turn a JSON array found by json_query into one metric per object', async () => {
    const url = await serve(200, API);
    const acc = await poll({
      urls: [url],
      json_query: 'data.services',
      tag_keys: ['region'],
      json_name_key: 'name',
      json_string_fields: ['vers*'],
      json_time_key: 'ts',
      json_time_format: 'rfc3339',
    });
    expect(acc.metrics.map((m) => [m.name, m.tags, m.fields, m.timeMs])).toEqual([
      [
        'web',
        { region: 'eu', url },
        { stats_requests: 120, stats_errors: 2, stats_up: true, version: 'v1.2' },
        Date.UTC(2025, 10, 26, 7, 2, 55, 500),
      ],
      [
        'db',
        { region: 'us', url },
        { stats_requests: 40, stats_errors: 0, stats_up: false, version: 'v9' },
        Date.UTC(2025, 10, 26, 7, 2, 56),
      ],
    ]);
    expect(acc.metrics[0].fieldType('stats_requests')).toBe('float');
  });

  it('should name metrics "http", drop unlisted strings and stamp them now', async () => {
    const url = await serve(200, JSON.stringify({ load: 0.5, host: 'x', nested: { a: [1, 2] } }));
    const acc = await poll({ urls: [url], url_tag: '' });
    expect(acc.metrics.map((m) => [m.name, m.tags, m.fields, m.timeMs])).toEqual([
      ['http', {}, { load: 0.5, nested_a_0: 1, nested_a_1: 2 }, NOW],
    ]);
  });

  it('should parse line protocol responses', async () => {
    const url = await serve(200, 'svc,host=a up=1i 1700000000\n');
    const acc = await poll({ urls: [url], data_format: 'influx', precision: 's' });
    expect(acc.metrics.map((m) => [m.name, m.tags, m.fields, m.fieldTypes, m.timeMs])).toEqual([
      ['svc', { host: 'a', url }, { up: 1 }, { up: 'int' }, 1_700_000_000_000],
    ]);
  });

  it('should send the method, body, headers and basic credentials', async () => {
    const seen: Seen = {};
    const url = await serve(200, '{"v":1}', seen);
    await poll({
      urls: [url],
      method: 'POST',
      body: '{"q":1}',
      headers: { 'x-api': 'k' },
      username: 'u',
      password: 'p',
    });
    expect(seen.method).toBe('POST');
    expect(seen.body).toBe('{"q":1}');
    expect(seen.headers?.['x-api']).toBe('k');
    expect(seen.headers?.authorization).toBe('Basic ' + Buffer.from('u:p').toString('base64'));
  });

  it('should fail the gather on a status outside success_status_codes', async () => {
    const url = await serve(500, 'boom');
    await expect(poll({ urls: [url] })).rejects.toThrow(/HTTP 500: boom/);
  });

  it('should reject records without the time key and keep the others', async () => {
    const url = await serve(200, JSON.stringify([{ v: 1, t: 1700000000 }, { v: 2 }]));
    const acc = await poll({ urls: [url], json_time_key: 't' });
    expect(acc.metrics.map((m) => [m.fields, m.timeMs])).toEqual([[{ v: 1 }, 1_700_000_000_000]]);
    expect(acc.rejects[0]).toMatchObject({ count: 1, detail: { first: 'record 2: no time key "t"' } });
  });
});
