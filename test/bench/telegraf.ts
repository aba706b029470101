/**
 * Telegraf as a peer of the benchmark (`npm run bench:peers`): installed at a pinned version with
 * `go install` and custom build tags (only the plugins the shared scenarios use), cached outside
 * the repository, and run under the same load generator as VIVA.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuSeconds, freePort, machineBusySeconds, memMb, waitForPort } from './agent.ts';
import { histogramBetween } from './histogram.ts';
import { LoadGenerators, type LoadStats } from './loadgen-process.ts';
import type { Load } from './scenarios.ts';

export const TELEGRAF_VERSION = '1.37.2';

/** The plugins the shared scenarios use: Telegraf is built with these only. */
const BUILD_TAGS = [
  'custom',
  'inputs.influxdb_listener',
  'inputs.influxdb_v2_listener',
  'inputs.http_listener_v2',
  'inputs.socket_listener',
  'inputs.cpu',
  'inputs.mem',
  'outputs.discard',
  'outputs.file',
  'processors.rename',
  'processors.override',
  'processors.filter',
];

/** Where the binary is cached: outside the repository, per version. */
export function telegrafPath(): string {
  const cache = process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache');
  return path.join(cache, 'viva-peers', `telegraf-v${TELEGRAF_VERSION}`, 'telegraf');
}

/** The cached Telegraf, built on first use; null (with the reason) where Go is missing. */
export function ensureTelegraf(): { bin: string } | { skip: string } {
  const bin = telegrafPath();
  if (fs.existsSync(bin)) return { bin };
  try {
    execFileSync('go', ['version'], { stdio: 'ignore' });
  } catch {
    return { skip: `Go is not installed: Telegraf ${TELEGRAF_VERSION} cannot be built, the peer is skipped` };
  }
  console.error(`bench:peers: building Telegraf ${TELEGRAF_VERSION} into ${path.dirname(bin)} (minutes)...`);
  execFileSync(
    'go',
    [
      'install',
      '-tags',
      BUILD_TAGS.join(','),
      '-ldflags',
      `-X github.com/influxdata/telegraf/internal.Version=${TELEGRAF_VERSION}`,
      `github.com/influxdata/telegraf/cmd/telegraf@v${TELEGRAF_VERSION}`,
    ],
    { stdio: 'inherit', cwd: os.tmpdir(), env: { ...process.env, GOBIN: path.dirname(bin) } },
  );
  return { bin };
}

const AGENT = `[agent]
  interval = "10s"
  flush_interval = "1s"
  metric_batch_size = 5000
  metric_buffer_limit = 200000
  hostname = "bench"
  quiet = true
`;

const INFLUX_LISTENER = (port: number): string => `
[[inputs.influxdb_listener]]
  service_address = "127.0.0.1:${port}"
  max_body_size = "64MiB"
`;

/** The same three processors as VIVA's http-pipeline: rename, add tags, drop "health". */
const PROCESSORS = `
[[processors.rename]]
  order = 1
  [[processors.rename.replace]]
    tag = "dc"
    dest = "datacenter"
  [[processors.rename.replace]]
    field = "usage_user"
    dest = "user"

[[processors.override]]
  order = 2
  [processors.override.tags]
    team = "sre"
    pipeline = "bench"

[[processors.filter]]
  order = 3
  default = "pass"
  [[processors.filter.rule]]
    name = ["health"]
    action = "drop"
`;

/** Telegraf's config of each shared scenario (port: where the load goes; dir: a temp dir). */
export const TELEGRAF_CONFIGS: Record<string, (port: number, dir: string) => string> = {
  'http-to-discard': (port) => `${AGENT}${INFLUX_LISTENER(port)}\n[[outputs.discard]]\n`,
  'http-pipeline': (port) => `${AGENT}${INFLUX_LISTENER(port)}${PROCESSORS}\n[[outputs.discard]]\n`,
  'tcp-passthrough': (port) => `${AGENT}
[[inputs.socket_listener]]
  service_address = "tcp://127.0.0.1:${port}"
  data_format = "influx"

[[outputs.discard]]
`,
  // The host agent of the comparison: cpu, mem, an idle listener, a file output.
  'idle-host': (port, dir) => `[agent]
  interval = "10s"
  flush_interval = "10s"
  metric_batch_size = 1000
  metric_buffer_limit = 100000
  quiet = true

[[inputs.cpu]]
  percpu = true
  totalcpu = true

[[inputs.mem]]
${INFLUX_LISTENER(port)}
[[outputs.file]]
  files = ["${dir}/metrics.lp"]
  rotation_max_size = "100MB"
  rotation_max_archives = 5
`,
};

const round = (x: number, d = 2): number => (Number.isFinite(x) ? Number(x.toFixed(d)) : x);

/** One Telegraf run of a scenario under the same load generator; the result line. */
export async function runTelegraf(
  bin: string,
  scenario: string,
  load: Load | null,
  o: { durationS: number; warmupS: number },
): Promise<Record<string, unknown>> {
  const config = TELEGRAF_CONFIGS[scenario];
  if (config === undefined) throw new Error(`no Telegraf config for scenario ${scenario}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `viva-peer-telegraf-${scenario}-`));
  const port = await freePort();
  fs.writeFileSync(path.join(dir, 'telegraf.conf'), config(port, dir));
  const log = fs.openSync(path.join(dir, 'telegraf.log'), 'a');
  const child = spawn(bin, ['--config', path.join(dir, 'telegraf.conf')], { stdio: ['ignore', log, log] });
  fs.closeSync(log);
  const pid = child.pid as number;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let gens: LoadGenerators | null = null;
  try {
    await waitForPort(port, 30_000);
    if (load !== null) {
      const url =
        load.transport === 'tcp' ? `tcp://127.0.0.1:${port}` : `http://127.0.0.1:${port}/write?precision=ns`;
      gens = new LoadGenerators(load, url, o.warmupS + o.durationS + 30);
      await gens.started();
    }
    await sleep(o.warmupS * 1000);
    const at0 = performance.now();
    const cpu0 = cpuSeconds(pid);
    const machine0 = machineBusySeconds();
    const l0: LoadStats | null = gens?.snapshot() ?? null;
    const rss: number[] = [];
    const end = at0 + o.durationS * 1000;
    while (performance.now() < end) {
      await sleep(Math.min(1000, end - performance.now()));
      if (child.exitCode !== null) throw new Error(`telegraf exited during the run; see ${dir}/telegraf.log`);
      rss.push(memMb(pid, 'VmRSS'));
    }
    const secs = (performance.now() - at0) / 1000;
    const cpu = cpuSeconds(pid) - cpu0;
    const l1: LoadStats | null = gens?.snapshot() ?? null;
    const machine = machineBusySeconds() - machine0;
    const accepted = l0 !== null && l1 !== null ? l1.accepted - l0.accepted : 0;
    const h = l0 !== null && l1 !== null ? histogramBetween(l0.rttBuckets, l1.rttBuckets, l1.rttMax) : null;
    return {
      peer: `telegraf ${TELEGRAF_VERSION}`,
      scenario,
      accepted_per_s: load === null ? undefined : Math.round(accepted / secs),
      cpu_s_per_million: accepted > 0 ? round(cpu / (accepted / 1e6), 3) : undefined,
      agent_cpu_util: round(cpu / secs, 3),
      peak_rss_mb: round(memMb(pid, 'VmHWM'), 1),
      rss_end_mb: round(rss[rss.length - 1] ?? NaN, 1),
      request_p99_ms: h === null ? undefined : round(h.quantile(0.99)),
      http_429_lines: l0 !== null && l1 !== null ? l1.refused - l0.refused : undefined,
      machine_cpu_util: round(machine / secs),
      duration_s: round(secs, 1),
    };
  } finally {
    await gens?.stop();
    if (child.exitCode === null) child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(t);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
