/**
 * One benchmark run: start the agent with the scenario's config, offer the load, let it warm up,
 * then measure a fixed window from outside the agent (its /metrics, /proc CPU and memory, the
 * sink's end-to-end latency) and stop everything.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AgentProcess, cpuSeconds, freePort, machineBusySeconds, memMb, waitForPort } from './agent.ts';
import { collectorFigures, loadFigures } from './collector-result.ts';
import { LoadGenerators, type LoadStats } from './loadgen-process.ts';
import { histogramQuantiles, type Scrape, scrape, total } from './prom.ts';
import {
  BENCH_BUFFER_LIMIT,
  type Env,
  type Load,
  type Prepared,
  type Scenario,
  type SpoolFsync,
} from './scenarios.ts';
import { LatencySink } from './sink.ts';

export interface RunOptions {
  durationS: number;
  warmupS: number;
  /** Overrides the scenario's load (rate, batch, connections, processes, corpus). */
  load: Partial<Load>;
  nodeFlags: string[];
  /** Keep the temp dir (config, agent log, profiles). */
  keep: boolean;
  /** parse_workers of http_listener, or the prototype listener's workers (proto-*: default 1). */
  parseWorkers: number | undefined;
  /** Prototype listener: parse inline when every worker has more than this queued (0 = never). */
  maxQueuedBytes: number;
  /** metric_batch_size of the latency scenarios' output. */
  outputBatch: number;
  /** influx_series_cache of the inputs that parse line protocol (undefined: the agent's default). */
  seriesCache: number | undefined;
  /** metric_buffer_limit of the agent (undefined: the bench's 200,000). */
  bufferLimit: number | undefined;
  /** spool_fsync of the collector (collector scenarios). */
  spoolFsync: SpoolFsync;
}

type Result = Record<string, unknown>;

const round = (x: number, d = 2): number => (Number.isFinite(x) ? Number(x.toFixed(d)) : x);

/** What is read at both ends of the measured window. */
interface Snapshot {
  at: number;
  metrics: Scrape;
  /** CPU seconds of the agent. */
  cpu: number;
  /** CPU seconds of the load generators and of this process. */
  ownCpu: number;
  /** Busy CPU seconds of the whole machine. */
  machine: number;
  load: LoadStats | null;
  /** The collector behind the agent (agent-to-collector): its counters and CPU seconds. */
  second: { metrics: Scrape; cpu: number } | null;
}

/** What the window measured. */
export interface Window {
  before: Snapshot;
  after: Snapshot;
  /** RSS (MB) sampled every second. */
  rss: number[];
  peakRss: number;
  /** Peak RSS (MB) of the collector behind the agent, when there is one. */
  secondPeakRss: number;
  /** RSS (MB) of every VIVA process of the run, summed, sampled every second. */
  rssSum: number[];
}

/** A process under test: its pid and its /metrics URL. */
interface Target {
  pid: number;
  adminUrl: string;
  proc: AgentProcess;
}

async function snapshot(main: Target, second: Target | null, gens: LoadGenerators | null): Promise<Snapshot> {
  // A process that died mid-run (crash, OOM kill) is named, rather than failing on its /proc files.
  main.proc.assertRunning();
  second?.proc.assertRunning();
  const cpu = cpuSeconds(main.pid);
  const secondCpu = second === null ? 0 : cpuSeconds(second.pid);
  const machine = machineBusySeconds();
  let ownCpu = cpuSeconds(process.pid);
  for (const p of gens?.pids ?? []) ownCpu += cpuSeconds(p);
  const at = performance.now();
  const load = gens?.snapshot() ?? null;
  const metrics = await scrape(main.adminUrl);
  const secondMetrics = second === null ? null : await scrape(second.adminUrl);
  return {
    at,
    metrics,
    cpu,
    ownCpu,
    machine,
    load,
    second: secondMetrics === null ? null : { metrics: secondMetrics, cpu: secondCpu },
  };
}

/** Average RSS growth (%) between the first and the last minute (a third of shorter runs). */
function rssGrowth(samples: number[]): { pct: number; windowS: number } {
  const w = Math.max(1, Math.min(60, Math.floor(samples.length / 3)));
  if (samples.length < 2 * w) return { pct: NaN, windowS: w };
  const avg = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
  const first = avg(samples.slice(0, w));
  const last = avg(samples.slice(-w));
  return { pct: ((last - first) / first) * 100, windowS: w };
}

/** Average of each minute of per-second samples. */
function byMinute(samples: number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < samples.length; i += 60) {
    const xs = samples.slice(i, i + 60);
    out.push(round(xs.reduce((s, x) => s + x, 0) / xs.length, 1));
  }
  return out;
}

/** Offers the load, warms up, measures the window; the load generators are stopped after. */
async function measure(
  o: RunOptions,
  load: Load | null,
  env: Env,
  main: Target,
  second: Target | null,
  sink: LatencySink | null,
): Promise<Window & { load: Load | null }> {
  let gens: LoadGenerators | null = null;
  try {
    if (load !== null) {
      const port = load.transport === 'viva' ? env.collectorPort : env.listenPort;
      await waitForPort(port, 10_000);
      const url =
        load.transport === 'tcp'
          ? `tcp://127.0.0.1:${port}`
          : load.transport === 'viva'
            ? `http://127.0.0.1:${port}/v1/batch`
            : `http://127.0.0.1:${port}/write?precision=ns`;
      gens = new LoadGenerators(load, url, o.warmupS + o.durationS + 30);
      await gens.started();
    }
    await sleep(o.warmupS * 1000);
    sink?.reset();
    const before = await snapshot(main, second, gens);
    const rss: number[] = [];
    const rssSum: number[] = [];
    const end = before.at + o.durationS * 1000;
    while (performance.now() < end) {
      await sleep(Math.min(1000, end - performance.now()));
      main.proc.assertRunning();
      second?.proc.assertRunning();
      rss.push(memMb(main.pid, 'VmRSS'));
      rssSum.push(rss[rss.length - 1] + (second === null ? 0 : memMb(second.pid, 'VmRSS')));
      sink?.rollSecond();
    }
    const after = await snapshot(main, second, gens);
    const peakRss = memMb(main.pid, 'VmHWM');
    const secondPeakRss = second === null ? NaN : memMb(second.pid, 'VmHWM');
    return { before, after, rss, peakRss, secondPeakRss, rssSum, load };
  } finally {
    await gens?.stop();
  }
}

/** Latency figures: end to end from the sink when there is one, else the agent's histogram. */
function latency(w: Window, sink: LatencySink | null): Result {
  const agentQ = histogramQuantiles(
    w.before.metrics,
    w.after.metrics,
    'viva_pipeline_latency_seconds',
    [0.5, 0.99, 0.999],
  );
  const sinkQ = sink === null ? null : [0.5, 0.99, 0.999].map((q) => sink.histogram.quantile(q));
  const q = sinkQ ?? agentQ;
  const writeQ = histogramQuantiles(
    w.before.metrics,
    w.after.metrics,
    'viva_output_write_duration_seconds',
    [0.5, 0.99],
  );
  const bySecond = (sink?.p99BySecond ?? []).filter((x) => Number.isFinite(x));
  const some = bySecond.length > 0;
  return {
    p50_ms: round(q[0]),
    p99_ms: round(q[1]),
    p999_ms: round(q[2]),
    latency_source: sinkQ !== null ? 'end-to-end (generator stamp to output)' : 'agent (ingest to written)',
    agent_p50_ms: round(agentQ[0]),
    agent_p99_ms: round(agentQ[1]),
    output_write_p50_ms: round(writeQ[0]),
    output_write_p99_ms: round(writeQ[1]),
    latency_samples: sink?.lines,
    worst_second_p99_ms: some ? round(Math.max(...bySecond)) : undefined,
    seconds_p99_over_20ms: some ? bySecond.filter((x) => x > 20).length : undefined,
    p99_by_second_ms: some && bySecond.length <= 60 ? bySecond.map((x) => round(x, 1)) : undefined,
  };
}

/** Throughput, CPU, memory and loss over the window. */
function throughput(w: Window): Result {
  const { before, after } = w;
  const secs = (after.at - before.at) / 1000;
  const d = (name: string, match = ''): number =>
    total(after.metrics, name, match) - total(before.metrics, name, match);
  const ingested = d('viva_input_gathered_total');
  const cpu = after.cpu - before.cpu;
  const own = after.ownCpu - before.ownCpu;
  const lb = before.load;
  const la = after.load;
  const lg = lb !== null && la !== null;
  const growth = rssGrowth(w.rss);
  const dropped = d('viva_output_dropped_total');
  const rejected = d('viva_input_rejected_total');
  return {
    events_per_s: Math.round(ingested / secs),
    written_per_s: Math.round(d('viva_output_written_total') / secs),
    cpu_s_per_million: round(cpu / (ingested / 1e6), 3),
    agent_cpu_util: round(cpu / secs),
    loadgen_cpu_util: round(own / secs),
    // Cores busy with anything else on the machine during the window (other people's jobs).
    others_cpu_util: round(Math.max(0, (after.machine - before.machine - cpu - own) / secs)),
    agent_peak_rss_mb: round(w.peakRss, 1),
    rss_growth_pct: round(growth.pct),
    rss_window_s: growth.windowS,
    rss_mb_by_minute: w.rss.length >= 120 ? byMinute(w.rss) : undefined,
    drops: dropped + rejected + (lg ? la.failed - lb.failed : 0),
    output_dropped: dropped,
    input_rejected: rejected,
    filtered:
      d('viva_processor_in_total', 'plugin="filter"') - d('viva_processor_out_total', 'plugin="filter"'),
    http_429_lines: lg ? la.refused - lb.refused : undefined,
    offered_per_s: lg ? Math.round((la.sent - lb.sent) / secs) : undefined,
    buffer_end: total(after.metrics, 'viva_output_buffer_size'),
    // Event-loop delay of the agent since it started (warm-up included), in ms.
    loop_delay_p99_ms: round(total(after.metrics, 'viva_process_event_loop_delay_p99_seconds') * 1000),
    loop_delay_max_ms: round(total(after.metrics, 'viva_process_event_loop_delay_max_seconds') * 1000),
    duration_s: round(secs, 1),
  };
}

/** Runs a scenario and returns its result line. */
export async function runScenario(sc: Scenario, o: RunOptions): Promise<Result> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `viva-bench-${sc.name}-`));
  const sink = sc.sink ? new LatencySink() : null;
  const env: Env = {
    adminPort: await freePort(),
    listenPort: await freePort(),
    sinkUrl: sink !== null ? await sink.start() : '',
    dir,
    parseWorkers: o.parseWorkers,
    maxQueuedBytes: o.maxQueuedBytes,
    outputBatch: o.outputBatch,
    seriesCache: o.seriesCache,
    bufferLimit: o.bufferLimit,
    vars: {},
    collectorPort: await freePort(),
    collectorAdminPort: await freePort(),
    spoolFsync: o.spoolFsync,
  };
  const load: Load | null = sc.load === null ? null : { ...sc.load, ...o.load };
  // The scenario's own setup (e.g. filling a Kafka topic) comes before the agent and the window.
  const prepared: Prepared =
    (await sc.prepare?.(env, { durationS: o.durationS, warmupS: o.warmupS }).catch(async (e: unknown) => {
      await sink?.stop();
      throw e;
    })) ?? {};
  env.vars = prepared.vars ?? {};
  const loadavgStart = os.loadavg();
  let w: Window;
  let checked: Awaited<ReturnType<NonNullable<Prepared['check']>>> | undefined;
  try {
    const procs: AgentProcess[] = [];
    try {
      // The collector first: the agent's viva output has somewhere to send from its first flush.
      const collector =
        sc.collector === undefined
          ? null
          : await AgentProcess.start({
              configText: sc.collector(env),
              dir,
              adminPort: env.collectorAdminPort,
              nodeFlags: o.nodeFlags,
              command: 'collector',
            });
      if (collector !== null) procs.push(collector);
      const agent =
        sc.config === undefined
          ? null
          : await AgentProcess.start({
              configText: sc.config(env),
              dir,
              adminPort: env.adminPort,
              nodeFlags: o.nodeFlags,
            });
      if (agent !== null) procs.push(agent);
      const collectorTarget =
        collector === null
          ? null
          : {
              pid: collector.pid,
              adminUrl: `http://127.0.0.1:${env.collectorAdminPort}/metrics`,
              proc: collector,
            };
      const main =
        agent === null
          ? (collectorTarget as Target)
          : { pid: agent.pid, adminUrl: `http://127.0.0.1:${env.adminPort}/metrics`, proc: agent };
      w = await measure(o, load, env, main, agent === null ? null : collectorTarget, sink);
      checked = await prepared.check?.({ before: w.before.metrics, after: w.after.metrics });
    } finally {
      // The agent first, so that what it still holds can reach the collector.
      for (const p of procs.reverse()) await p.stop();
      await sink?.stop();
    }
  } finally {
    await prepared.cleanup?.();
  }
  const cpuModel = /model name\s*:\s*(.*)/.exec(fs.readFileSync('/proc/cpuinfo', 'latin1'))?.[1] ?? '?';
  if (!o.keep) fs.rmSync(dir, { recursive: true, force: true });
  const proto = sc.name.startsWith('proto-');
  const figures =
    sc.collector === undefined
      ? { ...loadFigures(w), ...throughput(w), ...latency(w, sink) }
      : sc.config === undefined
        ? { ...collectorFigures(w, 'alone'), ...loadFigures(w) }
        : { ...collectorFigures(w, 'behind-agent'), ...loadFigures(w) };
  // Memory of the whole deployment: every VIVA process the scenario runs (agent, collector).
  const processes = Number.isFinite(w.secondPeakRss) ? 2 : 1;
  return {
    scenario: sc.collector === undefined ? sc.name : `${sc.name}@${o.spoolFsync}`,
    invalid: checked?.invalid,
    ...figures,
    peak_rss_mb: round(w.peakRss + (processes === 2 ? w.secondPeakRss : 0), 1),
    peak_rss_sampled_mb: round(Math.max(...w.rssSum), 1),
    rss_end_mb: round(w.rssSum[w.rssSum.length - 1] ?? NaN, 1),
    viva_processes: processes,
    spool_fsync: sc.collector === undefined ? undefined : o.spoolFsync,
    ...prepared.fields,
    ...checked?.fields,
    loadgen_max_lag_ms: load?.rate ? round(w.after.load?.maxLagMs ?? NaN) : undefined,
    warmup_s: o.warmupS,
    offered_rate: load === null ? 'generator' : load.rate === 0 ? 'max' : load.rate,
    load: load ?? undefined,
    parse_workers: proto ? (o.parseWorkers ?? 1) : o.parseWorkers,
    max_queued_bytes: proto ? o.maxQueuedBytes : undefined,
    output_batch: sc.sink ? o.outputBatch : undefined,
    series_cache: o.seriesCache ?? 'default',
    buffer_limit: o.bufferLimit ?? BENCH_BUFFER_LIMIT,
    loadavg_start: loadavgStart.map((x) => round(x)),
    loadavg_end: os.loadavg().map((x) => round(x)),
    node: process.version,
    cpu_model: cpuModel,
    nproc: os.availableParallelism(),
    dir: o.keep ? dir : undefined,
    time: new Date().toISOString(),
  };
}
