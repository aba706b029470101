/**
 * Archive write throughput: the real `archive` output (plugins/outputs/archive) taking the bench
 * corpus (test/bench/corpus.ts: 4-8 tags, 3-6 fields of every type, ~177 bytes a line) in batches
 * of 5000, as a collector destination gives it, with `fsync = true`: append and fsync to the open
 * period, then finishing each period into the chosen formats (gzip line protocol, Parquet, both).
 * The clock follows metric time (as in a replay) so periods finish as the data moves on; each
 * batch is one second of metric time, the period is 60 s, so a period holds 300,000 metrics
 * (~53 MB of line protocol, near the 64 MiB max_file_size, the largest part a period makes).
 *
 * One child process per format, so each peak RSS (VmHWM) is its own. Batches are parsed before
 * their write and that parse is not timed: the figures are the archive's cost alone. Prints one
 * JSON line per format and a Markdown table.
 * Run: npm run bench:archive [-- --metrics 600000]
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseLineProtocol } from '../../core/format/lineprotocol/index.ts';
import { parseConfig, testContext } from '../../core/plugin/testing.ts';
import { ArchiveOutput } from '../../plugins/outputs/archive/archive.ts';
import { archiveOutput } from '../../plugins/outputs/archive/index.ts';
import { buildBatches, nowDigits, stamp } from './corpus.ts';

const BATCH = 5000;
const PERIOD_S = 60;
const T0 = Date.UTC(2026, 11, 1);

interface Result {
  formats: string;
  metrics: number;
  seconds: number;
  events_per_s: number;
  /** CPU time of the process (every thread: gzip runs on libuv's pool) per million metrics. */
  cpu_s_per_million: number;
  /** Metrics per CPU second: the rate one free core would sustain, less sensitive to a busy machine. */
  events_per_cpu_s: number;
  append_s: number;
  finish_s: number;
  lp_mb: number;
  archive_mb: Record<string, number>;
  peak_rss_mb: number;
  rss_before_mb: number;
}

function vmHwmMb(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return m === null ? process.resourceUsage().maxRSS / 1024 : Number(m[1]) / 1024;
}

async function child(formats: string[], total: number): Promise<Result> {
  const batches = buildBatches(Math.ceil(total / BATCH), BATCH, {
    hosts: 5000,
    seed: 7,
    strings: true,
    points: 1,
  });
  let lpBytes = 0;
  batches.forEach((b, i) => {
    stamp(b, nowDigits(T0 + i * 1000));
    lpBytes += b.data.length;
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'viva-bench-archive-'));
  const clock = { t: T0, now: () => clock.t, monotonic: () => performance.now() };
  const cfg = parseConfig(archiveOutput, {
    dir,
    stream: 'bench',
    formats,
    period: `${PERIOD_S}s`,
    grace: '0s',
  });
  const out = new ArchiveOutput(cfg, testContext(archiveOutput, { clock }));
  await out.connect();
  const rssBefore = vmHwmMb();
  let cpu = 0;
  const timed = async (fn: () => Promise<void>): Promise<number> => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await fn();
    const c = process.cpuUsage(c0);
    cpu += (c.user + c.system) / 1e6;
    return performance.now() - t0;
  };
  let append = 0;
  let finish = 0;
  let n = 0;
  for (let i = 0; i < batches.length; i++) {
    const metrics = parseLineProtocol(batches[i].data).metrics;
    n += metrics.length;
    append += await timed(() => out.write(metrics));
    clock.t = T0 + (i + 1) * 1000;
    finish += await timed(() => out.maintain());
  }
  finish += await timed(() => out.close());
  const sizes: Record<string, number> = {};
  for (const f of fs.readdirSync(dir, { recursive: true }) as string[]) {
    const ext = f.endsWith('.lp.gz') ? 'lp_gz' : f.endsWith('.parquet') ? 'parquet' : undefined;
    if (ext !== undefined) sizes[ext] = (sizes[ext] ?? 0) + fs.statSync(path.join(dir, f)).size / 1e6;
  }
  fs.rmSync(dir, { recursive: true, force: true });
  const seconds = (append + finish) / 1000;
  return {
    formats: formats.join('+'),
    metrics: n,
    seconds: round(seconds),
    events_per_s: Math.round(n / seconds),
    cpu_s_per_million: round((cpu / n) * 1e6),
    events_per_cpu_s: Math.round(n / cpu),
    append_s: round(append / 1000),
    finish_s: round(finish / 1000),
    lp_mb: round(lpBytes / 1e6),
    archive_mb: Object.fromEntries(Object.entries(sizes).map(([k, v]) => [k, round(v)])),
    peak_rss_mb: Math.round(vmHwmMb()),
    rss_before_mb: Math.round(rssBefore),
  };
}

const round = (x: number): number => Math.round(x * 100) / 100;

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(name);
  return i === -1 ? dflt : process.argv[i + 1];
}

const total = Number(arg('--metrics', '600000'));
if (process.argv.includes('--child')) {
  const r = await child(arg('--child', 'lp_gz').split('+'), total);
  process.stdout.write(JSON.stringify(r) + '\n');
} else {
  const load = os.loadavg()[0].toFixed(2);
  const rows: Result[] = [];
  for (const f of ['lp_gz', 'parquet', 'lp_gz+parquet']) {
    const r = spawnSync(process.execPath, [import.meta.filename, '--child', f, '--metrics', String(total)], {
      encoding: 'utf8',
      maxBuffer: 1 << 24,
    });
    if (r.status !== 0) throw new Error(`bench child ${f} failed: ${r.stderr}`);
    const res = JSON.parse(r.stdout.trim().split('\n').pop() as string) as Result;
    rows.push(res);
    console.log(JSON.stringify({ ...res, loadavg_1m: load, at: new Date().toISOString() }));
  }
  console.log(
    '\n| formats | metrics | events/s | events per CPU s | append+fsync s | finish s | LP MB | archive MB | peak RSS MB |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |');
  for (const r of rows)
    console.log(
      `| ${r.formats} | ${r.metrics} | ${r.events_per_s} | ${r.events_per_cpu_s} | ${r.append_s} | ${r.finish_s} | ${r.lp_mb} | ${Object.entries(
        r.archive_mb,
      )
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')} | ${r.peak_rss_mb} |`,
    );
}
