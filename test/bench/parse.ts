/**
 * Data format benchmark: line protocol and JSON, parse and serialize, one core.
 *
 * The corpus is 200k lines as a fleet of agents writes them: each agent flush is one host's
 * series (cpu per core, mem, net per interface, disk per device, system) over successive
 * intervals, 4-8 tags (host, region, dc, and per host rack/os/env/service plus the series tag),
 * 3-6 fields mixing floats, ints, and now and then a boolean or a string, 19-digit ns timestamps.
 * Parsing goes by 1000-line batches (an agent's metric_batch_size). `lineprotocol.parse.shuffled`
 * parses the same lines in random order, the worst case where consecutive lines share no series.
 * The `.remembering` variants parse with one LineProtocolParser over and over, as a listener does:
 * after the warm-up it knows every series of the corpus (influx_series_cache).
 *
 * Prints one JSON line per measurement. `BENCH_SECONDS` sets the time per measurement (default 3).
 * Run: npm run bench:parse
 */
import os from 'node:os';
import { parseJson, serializeJson } from '../../core/format/json/index.ts';
import {
  LineProtocolParser,
  parseLineProtocol,
  serializeLineProtocol,
} from '../../core/format/lineprotocol/index.ts';
import type { Metric } from '../../core/model/metric/metric.ts';
import { rng } from './corpus.ts';

const LINES = 200_000;
const BATCH = 1000;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);

const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-southeast-2'];
const OSES = ['linux', 'windows', 'darwin'];
const ENVS = ['prod', 'staging', 'dev'];
const SERVICES = ['api', 'web', 'db', 'cache', 'queue', 'auth', 'search', 'billing'];

interface Series {
  key: string;
  fields: () => string;
}

/** The series one host reports every interval. */
function hostSeries(h: number, r: () => number): Series[] {
  const tags: Record<string, string> = {
    host: `host-${String(h).padStart(4, '0')}`,
    region: REGIONS[h % REGIONS.length],
    dc: `dc-${h % 7}`,
  };
  if (h % 3 !== 0) tags.rack = `r${h % 40}`;
  if (h % 4 !== 1) tags.os = OSES[h % OSES.length];
  if (h % 2 === 0) tags.env = ENVS[h % ENVS.length];
  if (h % 5 !== 2) tags.service = SERVICES[h % SERVICES.length];
  const key = (name: string, extra: Record<string, string> = {}): string =>
    name +
    Object.entries({ ...tags, ...extra })
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => `,${k}=${v}`)
      .join('');
  const f = (scale: number): string => String(Math.round(r() * scale * 1000) / 1000);
  const i = (scale: number): string => `${Math.floor(r() * scale)}i`;
  const cores = [2, 4, 8, 16][h % 4];
  const vm = h % 2 === 0;
  const out: Series[] = [];
  for (let c = 0; c <= cores; c++) {
    out.push({
      key: key('cpu', { cpu: c === cores ? 'cpu-total' : `cpu${c}` }),
      fields: () =>
        `usage_user=${f(100)},usage_system=${f(30)},usage_idle=${f(100)},usage_iowait=${f(5)}` +
        (vm ? `,usage_steal=${f(1)}` : ''),
    });
  }
  out.push({
    key: key('mem'),
    fields: () =>
      `total=${i(64e9)},used=${i(32e9)},used_percent=${f(100)}` +
      (h % 3 === 0 ? `,available=${i(32e9)},swap_ok=${r() < 0.9 ? 'true' : 'false'}` : ''),
  });
  for (const nic of ['eth0', 'eth1', 'lo'].slice(0, 1 + (h % 3))) {
    out.push({
      key: key('net', { interface: nic }),
      fields: () =>
        `bytes_recv=${i(1e12)},bytes_sent=${i(1e12)},packets_recv=${i(1e9)},err_in=${i(10)},drop_in=${i(100)}`,
    });
  }
  for (const dev of ['sda1', 'sdb1', 'nvme0n1p1'].slice(0, 1 + (h % 3))) {
    out.push({
      key: key('disk', { device: dev }),
      fields: () =>
        `free=${i(1e12)},used_percent=${f(100)},inodes_used=${i(1e7)}` + (h % 4 === 0 ? ',mode="rw"' : ''),
    });
  }
  out.push({
    key: key('system'),
    fields: () =>
      `load1=${f(8)},load5=${f(8)},load15=${f(8)},n_cpus=${cores}i` +
      (h % 5 === 0 ? `,uptime=${i(1e7)},status="ok"` : ''),
  });
  return out;
}

/** The corpus lines, in agent-flush order. */
function corpusLines(r: () => number): string[] {
  const hosts = Array.from({ length: 500 }, (_, h) => hostSeries(h, r));
  const lines: string[] = [];
  let base = 1_699_999_990_000_000_000n;
  while (lines.length < LINES) {
    const series = hosts[Math.floor(r() * hosts.length)];
    let interval = base;
    for (let k = 0; k < Math.ceil(BATCH / series.length) && lines.length < LINES; k++) {
      for (const s of series) {
        if (lines.length >= LINES) break;
        lines.push(`${s.key} ${s.fields()} ${interval + BigInt(Math.floor(r() * 1e6))}`);
      }
      interval += 10_000_000_000n;
    }
    base += 1_000_000_000n;
  }
  return lines;
}

function shuffled<T>(a: T[], r: () => number): T[] {
  const out = [...a];
  for (let k = out.length - 1; k > 0; k--) {
    const j = Math.floor(r() * (k + 1));
    [out[k], out[j]] = [out[j], out[k]];
  }
  return out;
}

/** Batches of BATCH lines, each one Buffer. */
function batches(lines: string[]): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < lines.length; i += BATCH)
    out.push(Buffer.from(lines.slice(i, i + BATCH).join('\n') + '\n'));
  return out;
}

/** Runs `pass` (one pass over the corpus, returning lines done) for SECONDS after a warm-up. */
function measure(name: string, bytesPerPass: number, pass: () => number): void {
  for (let w = 0; w < 3; w++) pass();
  const deadline = performance.now() + SECONDS * 1000;
  const t0 = performance.now();
  const c0 = process.threadCpuUsage();
  let lines = 0;
  let passes = 0;
  while (performance.now() < deadline && passes < 10_000) {
    lines += pass();
    passes++;
  }
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.threadCpuUsage(c0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  console.log(
    JSON.stringify({
      bench: name,
      lines_per_s: Math.round(lines / wall),
      mb_per_s: Math.round(((passes * bytesPerPass) / wall / 1e6) * 10) / 10,
      cpu_lines_per_s: Math.round(lines / cpuSeconds),
      batch_lines: BATCH,
      node: process.version,
      cpu: os.cpus()[0]?.model ?? 'unknown',
    }),
  );
}

function total(buffers: Buffer[]): number {
  return buffers.reduce((n, b) => n + b.length, 0);
}

function main(): void {
  const r = rng(42);
  // The line strings die here: only the Buffers (and later the parsed metrics) stay live.
  const [ordered, mixed] = ((lines: string[]) => [batches(lines), batches(shuffled(lines, r))])(
    corpusLines(r),
  );
  const metrics: Metric[][] = ordered.map((b) => {
    const res = parseLineProtocol(b);
    if (res.errors.length > 0) throw new Error(`corpus does not parse: ${res.errors[0].message}`);
    return res.metrics;
  });

  const parse = (input: Buffer[]) => (): number => {
    let n = 0;
    for (const b of input) n += parseLineProtocol(b).metrics.length;
    return n;
  };
  measure('lineprotocol.parse', total(ordered), parse(ordered));
  measure('lineprotocol.parse.shuffled', total(mixed), parse(mixed));
  // A listener's parser: it remembers the series of earlier writes (influx_series_cache).
  const remembering = (input: Buffer[]) => {
    const parser = new LineProtocolParser();
    return (): number => {
      let n = 0;
      for (const b of input) n += parser.parse(b).metrics.length;
      return n;
    };
  };
  measure('lineprotocol.parse.remembering', total(ordered), remembering(ordered));
  measure('lineprotocol.parse.shuffled.remembering', total(mixed), remembering(mixed));

  measure('lineprotocol.serialize', total(ordered), () => {
    let n = 0;
    for (const batch of metrics) {
      serializeLineProtocol(batch);
      n += batch.length;
    }
    return n;
  });

  const json = metrics.map((batch) => serializeJson(batch, 'ns').data);
  measure('json.serialize', total(json), () => {
    let n = 0;
    for (const batch of metrics) {
      serializeJson(batch, 'ns');
      n += batch.length;
    }
    return n;
  });
  measure('json.parse', total(json), () => {
    let n = 0;
    for (const b of json) n += parseJson(b, { precision: 'ns' }).metrics.length;
    return n;
  });
}

main();
