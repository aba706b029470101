/**
 * The real `viva collector` process: routes send each metric where they say, bad input at ingest
 * gets its answer code and a counter and the collector keeps serving, a destination's refused
 * metrics land in the dead-letter file and `viva replay dead-letter` writes them again, and a live
 * reload changes the routes without losing what is spooled.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeBatch } from '../../core/format/binary/index.ts';
import {
  collectorConfig,
  makeMetrics,
  postBatch,
  postRaw,
  seqsIn,
  startCollector,
  type CollectorHandle,
} from '../helpers/collector.ts';
import { counterValue, freePort, runViva, scrape, tempDir, waitFor } from '../helpers/viva.ts';

const running: CollectorHandle[] = [];
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of running.splice(0)) if (c.proc.child.exitCode === null) c.proc.child.kill('SIGKILL');
  for (const c of closers.splice(0)) await c();
});

async function collector(dir: string, body: string, collectorKeys = ''): Promise<CollectorHandle> {
  const c = await startCollector(await collectorConfig(dir, body, { collector: collectorKeys }));
  running.push(c);
  return c;
}

const TOKEN = 'e2e-token-0123456789';

describe('viva collector', () => {
  it('should send every metric where its route says: cpu* to one file, the rest to another, drops dropped', async () => {
    const dir = tempDir('viva-coll-');
    const c = await collector(
      dir,
      `
[[routes]]
name = "cpu"
namepass = ["cpu*"]
destinations = ["cpu-files"]

[[routes]]
name = "noise"
namepass = ["debug_*"]
drop = true

[[routes]]
name = "default"
destinations = ["rest"]

[[destinations]]
name = "cpu-files"
outputs = ["cpu-file"]

[[destinations]]
name = "rest"
outputs = ["rest-file"]

[[outputs.file]]
alias = "cpu-file"
files = ["${dir}/cpu.lp"]

[[outputs.file]]
alias = "rest-file"
files = ["${dir}/rest.lp"]
`,
    );
    expect(await postBatch(c.port, makeMetrics('cpu', 0, 100), { agent: 'a1' })).toBe(204);
    expect(await postBatch(c.port, makeMetrics('mem', 100, 50), { agent: 'a1' })).toBe(204);
    expect(await postBatch(c.port, makeMetrics('debug_x', 150, 10), { agent: 'a1' })).toBe(204);
    await waitFor(() => seqsIn(path.join(dir, 'cpu.lp')).length === 100, 'cpu metrics in cpu.lp');
    await waitFor(() => seqsIn(path.join(dir, 'rest.lp')).length === 50, 'mem metrics in rest.lp');
    const cpuText = fs.readFileSync(path.join(dir, 'cpu.lp'), 'utf8');
    const restText = fs.readFileSync(path.join(dir, 'rest.lp'), 'utf8');
    expect(cpuText).not.toContain('mem,');
    expect(restText).not.toContain('cpu,');
    expect(cpuText + restText).not.toContain('debug_x');
    expect(seqsIn(path.join(dir, 'cpu.lp'))).toEqual([...Array(100).keys()]);
    const text = await scrape(c.admin);
    expect(counterValue(text, 'viva_collector_route_dropped_total', { route: 'noise' })).toBe(10);
    expect(counterValue(text, 'viva_collector_route_metrics_total', { route: 'cpu' })).toBe(100);
    expect(counterValue(text, 'viva_collector_ingest_metrics_total')).toBe(160);
    c.proc.child.kill('SIGTERM');
    expect(await c.proc.exited).toBe(0);
  });

  it('should answer bad input with 401, 400, 413 and 415, count each, spool nothing of it and keep serving', async () => {
    const dir = tempDir('viva-coll-');
    const c = await collector(
      dir,
      `
[[routes]]
name = "all"
destinations = ["out"]

[[destinations]]
name = "out"
outputs = ["out-file"]

[[outputs.file]]
alias = "out-file"
files = ["${dir}/out.lp"]
`,
      `max_body_size = "64KiB"\n[collector.tokens]\nfleet = "${TOKEN}"`,
    );
    const good = encodeBatch(makeMetrics('m', 0, 10));
    const bin = { 'content-type': 'application/vnd.viva.batch', authorization: `Bearer ${TOKEN}` };
    // No token, a wrong one.
    expect((await postRaw(c.port, good, { 'content-type': 'application/vnd.viva.batch' })).status).toBe(401);
    expect((await postRaw(c.port, good, { ...bin, authorization: 'Bearer nope' })).status).toBe(401);
    // A truncated batch, random bytes, random bytes declared gzip, bad line protocol.
    const truncated = await postRaw(c.port, good.subarray(0, good.length - 3), bin);
    expect(truncated.status).toBe(400);
    expect(truncated.text).toMatch(/binary batch malformed/);
    expect((await postRaw(c.port, randomBytes(2000), bin)).status).toBe(400);
    expect((await postRaw(c.port, randomBytes(2000), { ...bin, 'content-encoding': 'gzip' })).status).toBe(
      400,
    );
    const lp = await postRaw(c.port, 'cpu value=1\ncpu value=\n', { ...bin, 'content-type': 'text/plain' });
    expect(lp.status).toBe(400);
    expect(lp.text).toMatch(/line 2/);
    // Too big, as sent and once decompressed (a gzip bomb).
    expect((await postRaw(c.port, Buffer.alloc(100_000, 1), bin)).status).toBe(413);
    const bomb = gzipSync(Buffer.alloc(10_000_000, 0));
    expect((await postRaw(c.port, bomb, { ...bin, 'content-encoding': 'gzip' })).status).toBe(413);
    // Unknown content type and encoding.
    expect((await postRaw(c.port, good, { ...bin, 'content-type': 'application/x-foo' })).status).toBe(415);
    expect((await postRaw(c.port, good, { ...bin, 'content-encoding': 'br' })).status).toBe(415);

    // Still serving: a good batch arrives, and only it.
    expect(await postBatch(c.port, makeMetrics('m', 0, 10), { token: TOKEN, agent: 'a1' })).toBe(204);
    await waitFor(() => seqsIn(path.join(dir, 'out.lp')).length === 10, 'the good batch in out.lp');
    const text = await scrape(c.admin);
    expect(counterValue(text, 'viva_collector_ingest_rejected_total', { reason: 'auth' })).toBe(2);
    expect(counterValue(text, 'viva_collector_ingest_rejected_total', { reason: 'malformed' })).toBe(4);
    expect(counterValue(text, 'viva_collector_ingest_rejected_total', { reason: 'too_large' })).toBe(2);
    expect(counterValue(text, 'viva_collector_ingest_rejected_total', { reason: 'encoding' })).toBe(2);
    expect(counterValue(text, 'viva_collector_ingest_batches_total')).toBe(1);
    // The token never reaches the log.
    expect(c.proc.stderr()).not.toContain(TOKEN);
    expect(c.proc.child.exitCode).toBeNull();
  });

  it('should acknowledge a batch sent again with the same id once, counting the duplicate', async () => {
    const dir = tempDir('viva-coll-');
    const c = await collector(
      dir,
      `
[[routes]]
name = "all"
destinations = ["out"]
[[destinations]]
name = "out"
outputs = ["f"]
[[outputs.file]]
alias = "f"
files = ["${dir}/out.lp"]
`,
    );
    const batch = makeMetrics('m', 0, 5);
    expect(await postBatch(c.port, batch, { agent: 'a1', batchId: 'b-1' })).toBe(204);
    expect(await postBatch(c.port, batch, { agent: 'a1', batchId: 'b-1' })).toBe(204);
    expect(await postBatch(c.port, makeMetrics('m', 5, 5), { agent: 'a2', batchId: 'b-1' })).toBe(204);
    await waitFor(() => seqsIn(path.join(dir, 'out.lp')).length >= 10, 'both agents’ batches');
    expect(seqsIn(path.join(dir, 'out.lp')).sort((a, b) => a - b)).toEqual([...Array(10).keys()]);
    expect(counterValue(await scrape(c.admin), 'viva_collector_ingest_duplicates_total')).toBe(1);
  });

  it('should put metrics an output refuses for good in the dead-letter file, and replay them once it takes them', async () => {
    const dir = tempDir('viva-coll-');
    // An InfluxDB-like server that refuses every write with 400 until `accept` is set.
    let accept = false;
    const got: string[] = [];
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.url?.startsWith('/query')) return void res.writeHead(200).end('{"results":[{}]}');
        if (!accept)
          return void res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"bad"}');
        got.push(Buffer.concat(chunks).toString());
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    closers.push(() => new Promise((r) => server.close(() => r())));
    const port = (server.address() as { port: number }).port;
    const c = await collector(
      dir,
      `
[[routes]]
name = "all"
destinations = ["tsdb"]
[[destinations]]
name = "tsdb"
outputs = ["influx"]
[[outputs.influxdb]]
alias = "influx"
urls = ["http://127.0.0.1:${port}"]
database = "x"
content_encoding = "identity"
skip_database_creation = true
`,
    );
    expect(await postBatch(c.port, makeMetrics('m', 0, 20), { agent: 'a1' })).toBe(204);
    const dead = path.join(dir, 'data', 'dead-letter', 'tsdb.lp');
    await waitFor(() => seqsIn(dead).length === 20, 'the refused batch in the dead-letter file');
    expect(fs.readFileSync(dead, 'utf8')).toMatch(
      /^# viva-dead-letter at=\S+ output=influx count=20 reason=/,
    );
    expect(
      counterValue(await scrape(c.admin), 'viva_collector_dead_letters_total', {
        destination: 'tsdb',
        outcome: 'stored',
      }),
    ).toBe(20);
    c.proc.child.kill('SIGTERM');
    await c.proc.exited;

    accept = true;
    const r = await runViva([
      'replay',
      'dead-letter',
      '-c',
      c.file,
      '--destination',
      'tsdb',
      '--since',
      '1h',
    ]);
    expect(r.stderr).toContain('written 20, failed 0');
    expect(r.code).toBe(0);
    const lines = got.join('').trim().split('\n');
    expect(lines).toHaveLength(20);
    // Nothing matches a window before the dead letters were written.
    const none = await runViva([
      'replay',
      'dead-letter',
      '-c',
      c.file,
      '--destination',
      'tsdb',
      '--until',
      '2000-01-01T00:00:00Z',
    ]);
    expect(none.stderr).toContain('0 batch(es)');
  });

  it('should refuse a config whose routes name unknown destinations, listing every problem', async () => {
    const dir = tempDir('viva-coll-');
    const { file } = await collectorConfig(
      dir,
      `
[[routes]]
name = "a"
destinations = ["nowhere"]
processors = ["ghost"]
[[destinations]]
name = "d"
outputs = ["missing"]
[[outputs.file]]
alias = "lonely"
files = ["stdout"]
`,
    );
    const r = await runViva(['config', 'check', '-c', file]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('no destination is named "nowhere"');
    expect(r.stderr).toContain('no [[processors.*]] table has alias "ghost"');
    expect(r.stderr).toContain('no [[outputs.*]] table has alias "missing"');
    expect(r.stderr).toContain('output "lonely" is in no [[destinations]]');
  });

  it('should spool what its own http_listener input receives (the InfluxDB write API) like agent batches', async () => {
    const dir = tempDir('viva-coll-');
    const listen = await freePort();
    const c = await collector(
      dir,
      `
[[inputs.http_listener]]
alias = "influx-api"
service_address = "127.0.0.1:${listen}"

[[routes]]
name = "from-influx-api"
agents = ["inputs.http_listener:influx-api"]
destinations = ["out"]

[[destinations]]
name = "out"
outputs = ["f"]

[[outputs.file]]
alias = "f"
files = ["${dir}/out.lp"]
`,
    );
    const res = await fetch(`http://127.0.0.1:${listen}/write`, {
      method: 'POST',
      body: 'app,svc=api seq=1i\napp,svc=api seq=2i\n',
    });
    expect(res.status).toBe(204);
    await waitFor(() => seqsIn(path.join(dir, 'out.lp')).length === 2, 'the written lines in out.lp');
    expect(
      counterValue(await scrape(c.admin), 'viva_collector_route_metrics_total', { route: 'from-influx-api' }),
    ).toBe(2);
  });

  it('should apply new routes on a live reload, the spool and its positions kept', async () => {
    const dir = tempDir('viva-coll-');
    const body = (file: string): string => `
[[routes]]
name = "all"
destinations = ["out"]
[[destinations]]
name = "out"
outputs = ["f"]
[[outputs.file]]
alias = "f"
files = ["${dir}/${file}"]
`;
    const agent = `http_auth_token = "${TOKEN}"`;
    const auth = { authorization: `Bearer ${TOKEN}` };
    const cfg = await collectorConfig(dir, body('first.lp'), { agent });
    const c = await startCollector(cfg);
    running.push(c);
    expect(await postBatch(c.port, makeMetrics('m', 0, 10), { agent: 'a1' })).toBe(204);
    await waitFor(() => seqsIn(path.join(dir, 'first.lp')).length === 10, 'the first batch in first.lp');
    // The config now sends to another file; the reload is asked for on the admin server.
    await collectorConfig(dir, body('second.lp'), { port: c.port, admin: c.admin, agent });
    const r = await fetch(`http://127.0.0.1:${c.admin}/admin/reload`, { method: 'POST', headers: auth });
    expect(r.status).toBe(200);
    expect(await postBatch(c.port, makeMetrics('m', 10, 10), { agent: 'a1' })).toBe(204);
    await waitFor(() => seqsIn(path.join(dir, 'second.lp')).length === 10, 'the second batch in second.lp');
    // Nothing delivered twice: the destination resumed at its position.
    expect(seqsIn(path.join(dir, 'first.lp'))).toEqual([...Array(10).keys()]);
    expect(seqsIn(path.join(dir, 'second.lp'))).toEqual([...Array(10).keys()].map((k) => k + 10));
    // An invalid config is refused and the running one goes on.
    fs.writeFileSync(
      cfg.file,
      fs.readFileSync(cfg.file, 'utf8') + '\n[[routes]]\nname = "bad"\ndestinations = ["nowhere"]\n',
    );
    const bad = await fetch(`http://127.0.0.1:${c.admin}/admin/reload`, { method: 'POST', headers: auth });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('no destination is named');
    expect(await postBatch(c.port, makeMetrics('m', 20, 5), { agent: 'a1' })).toBe(204);
    await waitFor(
      () => seqsIn(path.join(dir, 'second.lp')).length === 15,
      'delivery after the refused reload',
    );
  });
});
