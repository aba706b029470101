/**
 * End-to-end: the real `viva agent` process with http_listener, socket_listener (TCP and UDP) and
 * statsd configured and a file output; real clients speak each protocol over loopback and the
 * metrics must appear in the file exactly. Bad lines of a write are answered with their line
 * numbers while the good lines arrive.
 */
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { builtinInputs } from '../../plugins/inputs/registry.ts';
import { freePort, repoRoot, startViva, tempDir, waitFor, type VivaProcess } from '../helpers/viva.ts';

const running: VivaProcess[] = [];
afterEach(() => {
  for (const p of running.splice(0)) if (p.child.exitCode === null) p.child.kill('SIGKILL');
});

/** Until the inputs are in the built-in registry, the agent loads them as external modules. */
function pluginModules(wanted: string[]): string {
  const missing = wanted.filter((n) => !builtinInputs.some((d) => d.name === n));
  if (missing.length === 0) return '';
  const paths = missing.map((n) => JSON.stringify(path.join(repoRoot, 'plugins', 'inputs', n, 'index.ts')));
  return `plugins = [${paths.join(', ')}]\n\n`;
}

const fileLines = (f: string): string[] =>
  fs.existsSync(f)
    ? fs
        .readFileSync(f, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
    : [];

async function udpSend(port: number, data: string): Promise<void> {
  const c = dgram.createSocket('udp4');
  await new Promise<void>((resolve, reject) =>
    c.send(data, port, '127.0.0.1', (e) => (e ? reject(e) : resolve())),
  );
  c.close();
}

describe('viva agent with listeners', () => {
  it('should deliver what HTTP, TCP, UDP and statsd clients send to the file output exactly', async () => {
    const dir = tempDir();
    const [admin, httpPort, tcpPort, udpPort, statsdPort] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    const out = path.join(dir, 'out.lp');
    const config = `${pluginModules(['http_listener', 'socket_listener', 'statsd'])}[agent]
interval = "200ms"
flush_interval = "100ms"
http_listen = "127.0.0.1:${admin}"
data_dir = "${dir}"
omit_hostname = true

[[inputs.http_listener]]
service_address = "127.0.0.1:${httpPort}"
database_tag = "database"
bucket_tag = "bucket"

[[inputs.socket_listener]]
alias = "tcp"
service_address = "tcp://127.0.0.1:${tcpPort}"

[[inputs.socket_listener]]
alias = "udp"
service_address = "udp://127.0.0.1:${udpPort}"

[[inputs.statsd]]
service_address = "udp://127.0.0.1:${statsdPort}"

[[outputs.file]]
files = ["${out}"]
`;
    const file = path.join(dir, 'agent.toml');
    fs.writeFileSync(file, config);
    const p = startViva(['agent', '-c', file]);
    running.push(p);
    await waitFor(
      async () => (await fetch(`http://127.0.0.1:${httpPort}/ping`)).status === 204,
      'the http_listener to answer',
    );
    await waitFor(async () => (await fetch(`http://127.0.0.1:${admin}/ready`)).ok, 'the agent to be ready');

    // InfluxDB v1 write with precision and db, a v2 gzipped write, and a write with bad lines.
    const v1 = await fetch(`http://127.0.0.1:${httpPort}/write?db=telegraf&precision=s`, {
      method: 'POST',
      body: 'cpu,host=a usage=0.5,cores=4i 1700000000\n',
    });
    expect(v1.status).toBe(204);
    const v2 = await fetch(`http://127.0.0.1:${httpPort}/api/v2/write?org=o&bucket=b1&precision=ns`, {
      method: 'POST',
      headers: { 'content-encoding': 'gzip' },
      body: gzipSync('disk,path=/ used=7i 1700000000123456789\n'),
    });
    expect(v2.status).toBe(204);
    const partial = await fetch(`http://127.0.0.1:${httpPort}/write`, {
      method: 'POST',
      body: 'good n=1i 1700000000000000001\nthis is not line protocol\ngood n=2i 1700000000000000002\n',
    });
    expect(partial.status).toBe(400);
    expect(((await partial.json()) as { message: string }).message).toMatch(
      /^partial write: 1 of 3 lines rejected: line 2: /,
    );

    // A TCP sender that splits a line across writes, and a UDP sender.
    const sock = net.connect(tcpPort, '127.0.0.1');
    await new Promise<void>((resolve) => sock.once('connect', resolve));
    sock.write('tcp,src=nc v=1i 1700000000000000010\ntcp,src=nc v=');
    await new Promise((r) => setTimeout(r, 50));
    sock.end('2i 1700000000000000011\n');
    await udpSend(udpPort, 'udp,src=dgram v=3i 1700000000000000020\n');

    // A statsd sender: the counter is aggregated and emitted on the next gather.
    await udpSend(statsdPort, 'jobs.done:1|c\njobs.done:2|c|@0.5');

    await waitFor(() => fileLines(out).length >= 8, 'every metric in the file output');
    await new Promise((r) => setTimeout(r, 300));
    const lines = fileLines(out);
    const statsd = lines.filter((l) => l.startsWith('jobs_done,'));
    expect(statsd).toHaveLength(1);
    expect(statsd[0]).toMatch(/^jobs_done,metric_type=counter value=5i \d{19}$/);
    expect(lines.filter((l) => !l.startsWith('jobs_done,')).sort()).toEqual(
      [
        'cpu,database=telegraf,host=a usage=0.5,cores=4i 1700000000000000000',
        'disk,bucket=b1,path=/ used=7i 1700000000123456789',
        'good n=1i 1700000000000000001',
        'good n=2i 1700000000000000002',
        'tcp,src=nc v=1i 1700000000000000010',
        'tcp,src=nc v=2i 1700000000000000011',
        'udp,src=dgram v=3i 1700000000000000020',
      ].sort(),
    );

    // The parser remembered the series "good" (line 3 of the partial write found it); a write a
    // second later has the counters reported on /metrics.
    await new Promise((r) => setTimeout(r, 1100));
    const again = await fetch(`http://127.0.0.1:${httpPort}/write`, {
      method: 'POST',
      body: 'good n=3i 1700000000000000003\n',
    });
    expect(again.status).toBe(204);
    const counter = async (name: string): Promise<number> => {
      const text = await (await fetch(`http://127.0.0.1:${admin}/metrics`)).text();
      const line = text
        .split('\n')
        .find((l) => l.startsWith(`${name}{`) && l.includes('plugin="http_listener"'));
      return line === undefined ? -1 : Number(line.slice(line.lastIndexOf(' ') + 1));
    };
    await waitFor(
      async () => (await counter('viva_input_http_listener_series_cache_hits_total')) === 2,
      'the series cache hits on /metrics',
    );
    // cpu, disk, good, and the bad line's "this" (looked up, never remembered).
    expect(await counter('viva_input_http_listener_series_cache_misses_total')).toBe(4);
    // The bad line's "this" is a well-formed series section, but its line fails: not remembered.
    expect(await counter('viva_input_http_listener_series_cache_series')).toBe(3);

    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
  });
});

describe('viva agent under a flood of bad input', () => {
  it('should count every rejected write but log once per interval, then say how many it held back', async () => {
    const dir = tempDir();
    const [admin, httpPort] = await Promise.all([freePort(), freePort()]);
    const file = path.join(dir, 'agent.toml');
    fs.writeFileSync(
      file,
      `${pluginModules(['http_listener'])}[agent]
flush_interval = "100ms"
http_listen = "127.0.0.1:${admin}"
data_dir = "${dir}"

[[inputs.http_listener]]
service_address = "127.0.0.1:${httpPort}"

[[outputs.discard]]
`,
    );
    const p = startViva(['agent', '-c', file]);
    running.push(p);
    await waitFor(async () => (await fetch(`http://127.0.0.1:${admin}/ready`)).ok, 'the agent to be ready');
    const badWrite = async (): Promise<number> =>
      (await fetch(`http://127.0.0.1:${httpPort}/write`, { method: 'POST', body: 'not line protocol\n' }))
        .status;
    const rejectLogs = (): {
      time: number;
      count: number;
      suppressed?: number;
      suppressed_count?: number;
    }[] =>
      p
        .stderr()
        .split('\n')
        .filter((l) => l.includes('"msg":"input rejected bad data"'))
        .map((l) => JSON.parse(l) as { time: number; count: number });
    const rejected = async (): Promise<number> => {
      const text = await (await fetch(`http://127.0.0.1:${admin}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith('viva_input_rejected_total{'));
      return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
    };

    const flood = 300;
    for (let i = 0; i < flood; i++) expect(await badWrite()).toBe(400);
    expect(await rejected()).toBe(flood);
    const first = rejectLogs();
    expect(first).toHaveLength(1);
    expect(first[0].count).toBe(1);

    // The interval (10 s) after the first line, the next rejection is logged with what was held back.
    await new Promise((r) => setTimeout(r, Math.max(0, first[0].time + 10_100 - Date.now())));
    expect(await badWrite()).toBe(400);
    await waitFor(() => rejectLogs().length === 2, 'the second log line');
    expect(rejectLogs()[1]).toMatchObject({ count: 1, suppressed: flood - 1, suppressed_count: flood - 1 });
    expect(await rejected()).toBe(flood + 1);
  }, 30_000);
});

describe('viva agent under a flood of aborted and refused writes', () => {
  it('should count aborted, too large and unsupported writes as rejections and log them throttled', async () => {
    const dir = tempDir();
    const [admin, httpPort] = await Promise.all([freePort(), freePort()]);
    const file = path.join(dir, 'agent.toml');
    fs.writeFileSync(
      file,
      `${pluginModules(['http_listener'])}[agent]
flush_interval = "100ms"
http_listen = "127.0.0.1:${admin}"
data_dir = "${dir}"

[[inputs.http_listener]]
service_address = "127.0.0.1:${httpPort}"
max_body_size = "1KiB"

[[outputs.discard]]
`,
    );
    const p = startViva(['agent', '-c', file]);
    running.push(p);
    await waitFor(async () => (await fetch(`http://127.0.0.1:${admin}/ready`)).ok, 'the agent to be ready');
    const rejected = async (reason: string): Promise<number> => {
      const text = await (await fetch(`http://127.0.0.1:${admin}/metrics`)).text();
      const line = text
        .split('\n')
        .find((l) => l.startsWith('viva_input_rejected_total{') && l.includes(`reason="${reason}"`));
      return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
    };
    /** A POST that promises 500 bytes, sends 10 and hangs up once the server has read them. */
    const abortedWrite = (): Promise<void> =>
      new Promise((resolve, reject) => {
        const s = net.connect(httpPort, '127.0.0.1', () => {
          s.write(`POST /write HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\ncpu value=1`, () =>
            setImmediate(() => s.destroy()),
          );
        });
        s.on('close', () => resolve());
        s.on('error', reject);
      });

    const flood = 200;
    for (let i = 0; i < flood; i++) await abortedWrite();
    await waitFor(
      async () => (await rejected('request aborted')) === flood,
      'every aborted write to be counted',
    );
    const post = (body: string | Buffer, headers: Record<string, string> = {}): Promise<number> =>
      fetch(`http://127.0.0.1:${httpPort}/write`, { method: 'POST', body, headers }).then((r) => r.status);
    expect(await post('x'.repeat(2000))).toBe(413);
    expect(await post('cpu value=1', { 'content-encoding': 'br' })).toBe(415);
    expect(await rejected('body too large')).toBe(1);
    expect(await rejected('unsupported content encoding')).toBe(1);

    const warnings = p
      .stderr()
      .split('\n')
      .filter((l) => l.includes('"level":40'));
    expect(warnings.filter((l) => l.includes('request aborted'))).toHaveLength(1);
    expect(warnings.filter((l) => l.includes('write request failed'))).toHaveLength(0);
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
  });
});

describe('viva agent with tail', () => {
  it('should keep every line through rotation and truncation and not re-read after a restart', async () => {
    const dir = tempDir();
    const admin = await freePort();
    const log = path.join(dir, 'app.lp');
    const out = path.join(dir, 'out.lp');
    fs.writeFileSync(log, '');
    const file = path.join(dir, 'agent.toml');
    fs.writeFileSync(
      file,
      `${pluginModules(['tail'])}[agent]
flush_interval = "100ms"
http_listen = "127.0.0.1:${admin}"
data_dir = "${dir}"
omit_hostname = true

[[inputs.tail]]
files = ["${log}"]
poll_interval = "50ms"
path_tag = ""

[[outputs.file]]
files = ["${out}"]
`,
    );
    const lines = (from: number, to: number): string =>
      Array.from({ length: to - from }, (_, i) => `app seq=${from + i}i\n`).join('');
    const seqs = (): number[] => fileLines(out).map((l) => Number(/seq=(\d+)i/.exec(l)?.[1]));
    const agent = (): VivaProcess => {
      const p = startViva(['agent', '-c', file]);
      running.push(p);
      return p;
    };

    let p = agent();
    // Files present at the first start are followed from their end: write only once it runs.
    await waitFor(async () => (await fetch(`http://127.0.0.1:${admin}/ready`)).ok, 'the agent to be ready');
    fs.appendFileSync(log, lines(0, 100));
    await waitFor(() => seqs().length >= 100, 'the first lines');
    // logrotate's default: rename, then create a new file.
    fs.renameSync(log, log + '.1');
    fs.writeFileSync(log, lines(100, 200));
    await waitFor(() => seqs().length >= 200, 'the lines of the new file');
    // copytruncate
    fs.truncateSync(log, 0);
    await new Promise((r) => setTimeout(r, 200));
    fs.appendFileSync(log, lines(200, 250));
    await waitFor(() => seqs().length >= 250, 'the lines after truncation');
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);

    // Written while the agent is down; after the restart only these must arrive.
    fs.appendFileSync(log, lines(250, 300));
    p = agent();
    await waitFor(() => seqs().length >= 300, 'the lines written while the agent was down');
    await new Promise((r) => setTimeout(r, 500));
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    expect(seqs()).toEqual(Array.from({ length: 300 }, (_, i) => i));
  });
});
