/**
 * `npm run bench`: runs named scenarios against the real `viva agent` process and prints one
 * JSON line per scenario (events/s, latency percentiles, CPU per million events, peak RSS,
 * drops, ...). See BENCHMARKS.md for the method and the results.
 *
 *   npm run bench -- --scenario http-pipeline --duration 30 --warmup 5
 *   npm run bench -- --scenario latency-500k --rate 500000 --json results.jsonl
 *   npm run bench -- --scenario tcp-passthrough --profile      # node --cpu-prof on the agent
 *   npm run bench -- --scenario http-to-discard,collector-ingest,collector-ingest@never,agent-to-collector
 *
 * Everything listens on 127.0.0.1; every loop and process stops by itself.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { formatSummary, summarize } from './profile.ts';
import { runScenario } from './run.ts';
import type { Load, Scenario, SpoolFsync } from './scenarios.ts';
import { SCENARIOS, SPOOL_FSYNC, scenario } from './scenarios.ts';

const USAGE = `usage: node test/bench/bench.ts [options]
  --scenario NAME     repeatable or comma-separated (default: all but proto-* and the ones needing
                      scripts/services.sh: generator-to-kafka, kafka-to-discard); --list shows them
  --duration SECONDS  measured window (default 30; idle-host 60)
  --warmup SECONDS    load before measuring (default 5)
  --rate N            fixed offered rate in lines/s (default: the scenario's; 0 = max)
  --batch N           lines per HTTP request / TCP write
  --connections N     TCP connections or concurrent HTTP requests per load generator
  --processes N       load generator processes
  --parse-workers N   parse_workers of http_listener (default: its own, 0), or the worker threads
                      of the prototype listener (proto-* scenarios; default 1)
  --max-queued-bytes N  prototype: parse on the event loop while every worker has more than N
                      bytes queued (default 1000000; 0 = always hand bodies to the workers)
  --output-batch N    metric_batch_size of the latency scenarios' output (default 1000)
  --series-cache N    influx_series_cache of the listeners and kafka_consumer (default: the
                      agent's, 200000; the corpus has 162,000 series; 0 turns the cache off)
  --buffer-limit N    metric_buffer_limit of the agent (default 200000; the agent's own default is
                      10000)
  --points N          points of each series per request (default 1: no series repeats in a request)
  --no-strings        no string fields in the offered lines (isolates quote-aware splitting)
 --spool-fsync P     spool_fsync of the collector scenarios: always (default), interval, never;
                      NAME@POLICY (e.g. collector-ingest@never) sets it for one scenario
  --json FILE         also append the result lines to FILE
  --profile           run the agent under node --cpu-prof and print where its time goes
  --node-flag FLAG    extra node flag for the agent (repeatable)
  --keep              keep the temp dir (config, agent log, profile)
  --list              list the scenarios`;

const { values: a } = parseArgs({
  options: {
    scenario: { type: 'string', multiple: true },
    duration: { type: 'string' },
    warmup: { type: 'string', default: '5' },
    rate: { type: 'string' },
    batch: { type: 'string' },
    connections: { type: 'string' },
    processes: { type: 'string' },
    'parse-workers': { type: 'string' },
    'max-queued-bytes': { type: 'string', default: '1000000' },
    'no-strings': { type: 'boolean', default: false },
    points: { type: 'string' },
    'output-batch': { type: 'string', default: '1000' },
    'series-cache': { type: 'string' },
    'buffer-limit': { type: 'string' },
    'spool-fsync': { type: 'string', default: 'always' },
    json: { type: 'string' },
    profile: { type: 'boolean', default: false },
    'node-flag': { type: 'string', multiple: true, default: [] },
    keep: { type: 'boolean', default: false },
    list: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

/** The maximum events/s of a scenario's config and load shape, over a short window of this run. */
async function maxRate(sc: Scenario, load: Partial<Load>, nodeFlags: string[]): Promise<number> {
  const r = await runScenario(sc, {
    durationS: Math.min(15, Number(a.duration ?? 15)),
    warmupS: Number(a.warmup),
    load: { ...load, rate: 0 },
    nodeFlags,
    keep: false,
    parseWorkers: a['parse-workers'] === undefined ? undefined : Number(a['parse-workers']),
    maxQueuedBytes: Number(a['max-queued-bytes']),
    outputBatch: Number(a['output-batch']),
    seriesCache: a['series-cache'] === undefined ? undefined : Number(a['series-cache']),
    bufferLimit: a['buffer-limit'] === undefined ? undefined : Number(a['buffer-limit']),
    spoolFsync: 'always',
  });
  console.error(`bench: ${sc.name}: measured maximum ${String(r.events_per_s)} events/s`);
  return Number(r.events_per_s);
}

async function main(): Promise<number> {
  if (a.help) {
    console.log(USAGE);
    return 0;
  }
  if (a.list) {
    for (const s of SCENARIOS) console.log(`${s.name.padEnd(28)} ${s.description}`);
    return 0;
  }
  const defaults = SCENARIOS.filter((s) => s.onlyWhenNamed !== true).map((s) => s.name);
  const names = (a.scenario ?? defaults).flatMap((s) => s.split(',')).filter(Boolean);
  const scenarios = names.map(scenario);
  const fsync = a['spool-fsync'] as SpoolFsync;
  if (!SPOOL_FSYNC.includes(fsync)) throw new Error(`--spool-fsync must be one of ${SPOOL_FSYNC.join(', ')}`);
  const load: Partial<Load> = {};
  if (a.rate !== undefined) load.rate = Number(a.rate);
  if (a.batch !== undefined) load.batch = Number(a.batch);
  if (a.connections !== undefined) load.connections = Number(a.connections);
  if (a.processes !== undefined) load.processes = Number(a.processes);
  if (a['no-strings']) load.strings = false;
  if (a.points !== undefined) load.points = Number(a.points);
  let invalid = 0;
  const profDir = a.profile ? fs.mkdtempSync(path.join(os.tmpdir(), 'viva-bench-prof-')) : '';
  for (const { scenario: sc, spoolFsync } of scenarios) {
    const nodeFlags = [...(a['node-flag'] ?? [])];
    const dir = a.profile ? fs.mkdtempSync(path.join(profDir, `${sc.name}-`)) : '';
    if (a.profile) nodeFlags.push('--cpu-prof', `--cpu-prof-dir=${dir}`);
    const measuredMax =
      sc.headroom === undefined || a.rate !== undefined ? undefined : await maxRate(sc, load, nodeFlags);
    if (measuredMax !== undefined) load.rate = Math.round(measuredMax * (sc.headroom ?? 1));
    const result = await runScenario(sc, {
      durationS: Number(a.duration ?? sc.durationS ?? 30),
      warmupS: Number(a.warmup),
      load,
      nodeFlags,
      keep: a.keep,
      parseWorkers: a['parse-workers'] === undefined ? undefined : Number(a['parse-workers']),
      maxQueuedBytes: Number(a['max-queued-bytes']),
      outputBatch: Number(a['output-batch']),
      seriesCache: a['series-cache'] === undefined ? undefined : Number(a['series-cache']),
      bufferLimit: a['buffer-limit'] === undefined ? undefined : Number(a['buffer-limit']),
      spoolFsync: spoolFsync ?? fsync,
    });
    if (measuredMax !== undefined) delete load.rate;
    const line = JSON.stringify({
      ...result,
      measured_max_per_s: measuredMax,
      command: `node test/bench/bench.ts ${process.argv.slice(2).join(' ')}`,
    });
    console.log(line);
    if (a.json !== undefined) fs.appendFileSync(a.json, line + '\n');
    // A figure the scenario's own check does not trust (e.g. its source ran dry) fails the bench.
    if (typeof result.invalid === 'string') {
      console.error(`bench: ${sc.name}: INVALID RESULT: ${result.invalid}`);
      invalid++;
    }
    if (a.profile) {
      for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.cpuprofile'))) {
        const file = path.join(dir, f);
        console.error(`\n# ${sc.name}: ${file}\n${formatSummary(summarize(file))}\n`);
      }
    }
  }
  return invalid > 0 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
    process.exitCode = 1;
  },
);
