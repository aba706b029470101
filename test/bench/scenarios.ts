/**
 * The benchmark scenarios: the agent config each one runs and the load it is offered.
 */
import fs from 'node:fs';
import path from 'node:path';
import { kafkaBrokers, prefilledTopic } from './kafka.ts';
import { kafkaGroup } from './kafka-group.ts';
import type { Scrape } from './prom.ts';

/** Ports and paths a scenario's config needs. */
export interface Env {
  adminPort: number;
  listenPort: number;
  sinkUrl: string;
  dir: string;
  /** parse_workers of http_listener (undefined: its default), or the prototype's workers (proto-*). */
  parseWorkers: number | undefined;
  /** Prototype listener: parse inline when every worker has more than this queued (0 = never). */
  maxQueuedBytes: number;
  /** metric_batch_size of the latency scenarios' output (batching is latency). */
  outputBatch: number;
  /** influx_series_cache of the inputs that parse line protocol (undefined: the agent's default). */
  seriesCache: number | undefined;
  /** metric_buffer_limit of the agent (undefined: BENCH_BUFFER_LIMIT). */
  bufferLimit: number | undefined;
  /** What the scenario's prepare() set up for this run (topic names...), for its config. */
  vars: Record<string, string>;
  /** The collector's ingest and admin ports (collector scenarios). */
  collectorPort: number;
  collectorAdminPort: number;
  /** spool_fsync of the collector (collector scenarios). */
  spoolFsync: SpoolFsync;
}

/** The collector's spool_fsync policies. */
export type SpoolFsync = 'always' | 'interval' | 'never';
export const SPOOL_FSYNC: readonly SpoolFsync[] = ['always', 'interval', 'never'];

/** The run a scenario prepares for. */
export interface RunShape {
  durationS: number;
  warmupS: number;
}

/** What the window measured, for a scenario's check. */
export interface Measured {
  before: Scrape;
  after: Scrape;
}

/** What a scenario's prepare() left for the rest of the run. */
export interface Prepared {
  /** Values the config reads as env.vars. */
  vars?: Record<string, string>;
  /** Fields added to the result line (how the source was prepared). */
  fields?: Record<string, unknown>;
  /**
   * Runs after the window, the agent still up: more result fields, and `invalid` when the figure
   * cannot be trusted (e.g. the source ran dry); the bench then prints the line and fails.
   */
  check?(m: Measured): Promise<{ fields: Record<string, unknown>; invalid?: string }>;
  /** Undoes prepare() once the agent has stopped, also after a failed run. */
  cleanup?(): Promise<void>;
}

/**
 * The offered load: none (the agent generates its own), TCP or HTTP line protocol, or binary
 * batches to a collector's /v1/batch as the `viva` output sends them (viva).
 */
export interface Load {
  transport: 'tcp' | 'http' | 'viva';
  /** TCP connections or concurrent HTTP requests, per load generator process. */
  connections: number;
  /** Lines per TCP write or per HTTP request. */
  batch: number;
  /** Load generator processes. */
  processes: number;
  /** Lines per second in total; 0 = as fast as the agent takes them. */
  rate: number;
  /** Some lines carry a string field (default); false: none do. */
  strings?: boolean;
  /** Points of each series in one batch (default 1: no series repeats within a request). */
  points?: number;
}

export interface Scenario {
  name: string;
  description: string;
  /** Measured window when --duration is not given (default 30 s). */
  durationS?: number;
  /**
   * Offer this fraction of the maximum the same run measures first (a window at rate 0 of the same
   * config and load shape); the result line carries both.
   */
  headroom?: number;
  /** Without a load, the agent's own generator input is the source. */
  load: Load | null;
  /** End-to-end latency is read at the sink (the agent's http output writes to it). */
  sink: boolean;
  /** Run only when named (prototypes, scenarios needing scripts/services.sh), not by default. */
  onlyWhenNamed?: boolean;
  /**
   * Sets up the source before the agent starts (outside the measured time, e.g. fills a Kafka
   * topic); what it returns is checked after the window and cleaned up after the run.
   */
  prepare?(env: Env, run: RunShape): Promise<Prepared>;
  /** The agent's config; absent when only a collector runs. */
  config?(env: Env): string;
  /** The collector's config: `viva collector` runs too (the load goes to it when there is no agent). */
  collector?(env: Env): string;
}

/** The agent's buffer in the bench: larger than its default (10,000), to absorb a burst. */
export const BENCH_BUFFER_LIMIT = 200_000;

/** [agent] tuned for throughput: large batches, a buffer that absorbs a burst. */
function agentSection(env: Env, flush = '1s'): string {
  return `[agent]
  http_listen = "127.0.0.1:${env.adminPort}"
  hostname = "bench"
  flush_interval = "${flush}"
  metric_batch_size = 5000
  metric_buffer_limit = ${env.bufferLimit ?? BENCH_BUFFER_LIMIT}
  data_dir = "${env.dir}/data"
  watch_config = false
  log_level = "warn"
`;
}

/** The influx_series_cache line of an input, when the run sets one. */
const seriesCache = (env: Env): string =>
  env.seriesCache === undefined ? '' : `  influx_series_cache = ${env.seriesCache}\n`;

/** A lossless output: a full buffer pushes back (TCP read pause, HTTP 429) instead of dropping. */
const BLOCK = `  when_full = "block"\n`;

const httpListener = (env: Env): string => `
[[inputs.http_listener]]
  service_address = "127.0.0.1:${env.listenPort}"
  max_body_size = "64MiB"
${seriesCache(env)}${env.parseWorkers === undefined ? '' : `  parse_workers = ${env.parseWorkers}\n`}`;

const socketListener = (env: Env): string => `
[[inputs.socket_listener]]
  service_address = "tcp://127.0.0.1:${env.listenPort}"
${seriesCache(env)}`;

/** PROTOTYPE: the http_listener write path with parsing in worker threads (test/bench/proto). */
const workersListener = (env: Env): string => `
[[inputs.http_listener_workers]]
  service_address = "127.0.0.1:${env.listenPort}"
  parse_workers = ${env.parseWorkers ?? 1}
  max_queued_bytes = ${env.maxQueuedBytes}
`;
/** The latency probe output (test/bench/latency-probe.ts), loaded as an external plugin. */
const PROBE_PLUGIN = `plugins = ["${import.meta.dirname}/latency-probe.ts"]\n`;
const PROTO_PLUGINS = `plugins = ["${import.meta.dirname}/proto/http-listener-workers.ts"]\n`;

/** The three processors of the design's budget: rename, tags, filter. */
const PROCESSORS = `
[[processors.rename]]
  [[processors.rename.replace]]
    tag = "dc"
    dest = "datacenter"
  [[processors.rename.replace]]
    field = "usage_user"
    dest = "user"

[[processors.tags]]
  [processors.tags.add]
    team = "sre"
    pipeline = "bench"

[[processors.filter]]
  expression = 'name == "health"'
  action = "drop"
`;

const httpLoad = (rate = 0, batch = 5000): Load => ({
  transport: 'http',
  connections: 4,
  batch,
  processes: 1,
  rate,
});

/** A collector spooling every batch (spool_fsync from the run) and delivering it to discard. */
const collectorToDiscard = (env: Env): string => `[agent]
  hostname = "bench-collector"
  data_dir = "${env.dir}/collector-data"
  watch_config = false
  log_level = "warn"

[collector]
  listen = "127.0.0.1:${env.collectorPort}"
  admin_listen = "127.0.0.1:${env.collectorAdminPort}"
  max_body_size = "64MiB"
  spool_fsync = "${env.spoolFsync}"

[[routes]]
  name = "all"
  destinations = ["sink"]

[[destinations]]
  name = "sink"
  outputs = ["discard"]

[[outputs.discard]]
`;

/** A collector whose kafka_consumer is one member of the bench group, into discard. */
const kafkaCollector = (env: Env): string => `[agent]
  hostname = "bench-collector"
  data_dir = "${env.dir}/collector-data"
  watch_config = false
  log_level = "warn"

[collector]
  listen = "127.0.0.1:${env.collectorPort}"
  admin_listen = "127.0.0.1:${env.collectorAdminPort}"
  spool_fsync = "${env.spoolFsync}"

[[inputs.kafka_consumer]]
  brokers = ${JSON.stringify(kafkaBrokers())}
  topics = ["${env.vars.topic}"]
  consumer_group = "${env.vars.group}"
  offset = "oldest"
  max_undelivered_messages = 200
  session_timeout = "6s"
  heartbeat_interval = "1s"

[[routes]]
  name = "all"
  destinations = ["sink"]

[[destinations]]
  name = "sink"
  outputs = ["discard"]

[[outputs.discard]]
`;

/** Kafka → N collectors in one group → discard (test/bench/kafka-group.ts). */
function kafkaCollectors(members: number): Scenario {
  return {
    name: `kafka-collectors-${members}`,
    description:
      `a fresh 6-partition topic (broker from scripts/services.sh) filled before the start with corpus ` +
      `messages of 1000 lines (lz4) -> ${members} viva collector(s) in one consumer group (kafka_consumer ` +
      `-> spool -> discard): the group's consume rate and its consumer lag over time`,
    load: null,
    sink: false,
    onlyWhenNamed: true,
    prepare: kafkaGroup(
      members,
      { partitions: 6, lines: 1000, compression: 'lz4', maxRate: 300_000 },
      kafkaCollector,
    ),
    collector: kafkaCollector,
  };
}

/** conf/agent.toml, the host agent a user installs, on the run's ports and temp dir. */
function hostConfig(env: Env): string {
  const text = fs.readFileSync(path.join(import.meta.dirname, '../../conf/agent.toml'), 'utf8');
  return text
    .replaceAll('127.0.0.1:9273', `127.0.0.1:${env.adminPort}`)
    .replaceAll('127.0.0.1:8186', `127.0.0.1:${env.listenPort}`)
    .replaceAll('${VIVA_DATA_DIR:-var/lib/viva}', `${env.dir}/data`)
    .replaceAll('log_level = "info"', 'log_level = "warn"');
}

export const SCENARIOS: Scenario[] = [
  {
    name: 'idle-host',
    description:
      'conf/agent.toml (host inputs every 10 s, an idle http_listener, a file output with a disk ' +
      'buffer), no load, 60 s: RSS and CPU of an agent as installed on every host',
    durationS: 60,
    load: null,
    sink: false,
    config: hostConfig,
  },
  {
    name: 'generator-to-discard',
    description: 'generator input (no I/O, no parsing) -> discard: the core pipeline upper bound',
    load: null,
    sink: false,
    config: (env) => `${agentSection(env)}
[[inputs.generator]]
  rate = 10000000
  batch_size = 5000
  series = 100000
  tag_count = 6
  field_count = 4

[[outputs.discard]]
${BLOCK}`,
  },
  {
    name: 'tcp-passthrough',
    description: 'socket_listener (TCP, 4 connections) -> discard',
    load: { transport: 'tcp', connections: 4, batch: 500, processes: 1, rate: 0 },
    sink: false,
    config: (env) => `${agentSection(env)}${socketListener(env)}
[[outputs.discard]]
${BLOCK}`,
  },
  {
    name: 'http-to-discard',
    description: 'http_listener (4 concurrent POSTs of 5000 lines) -> discard: the listener alone',
    load: httpLoad(),
    sink: false,
    config: (env) => `${agentSection(env)}${httpListener(env)}
[[outputs.discard]]
${BLOCK}`,
  },
  {
    name: 'http-pipeline',
    description: 'http_listener (4 concurrent POSTs of 5000 lines) -> rename, tags, filter -> discard',
    load: httpLoad(),
    sink: false,
    config: (env) => `${agentSection(env)}${httpListener(env)}${PROCESSORS}
[[outputs.discard]]
${BLOCK}`,
  },
  {
    name: 'http-to-file',
    description: 'http_listener -> file output (line protocol, rotated at 512 MiB) in a temp dir',
    load: httpLoad(),
    sink: false,
    config: (env) => `${agentSection(env)}${httpListener(env)}
[[outputs.file]]
  files = ["${env.dir}/metrics.lp"]
  rotation_max_size = "512MiB"
  rotation_max_archives = 1
${BLOCK}`,
  },
  {
    name: 'latency-70pct',
    description:
      'as latency-500k, offered 70 % of the maximum that the same run measured first (a max-rate ' +
      'window of the same config): p99 with headroom, a figure that holds on a busy machine too',
    load: httpLoad(0, 1000),
    headroom: 0.7,
    sink: true,
    config: (env) => `${PROBE_PLUGIN}${agentSection(env, '100ms')}${httpListener(env)}${PROCESSORS}
[[outputs.latency_probe]]
  url = "${env.sinkUrl.replace(/\/write$/, '/histogram')}"
  metric_batch_size = ${env.outputBatch}
`,
  },
  {
    name: 'latency-500k',
    description:
      'fixed 500k lines/s over HTTP (POSTs of 1000 lines) -> rename, tags, filter -> latency probe output ' +
      "(reads each line's send stamp when the output gets it: end-to-end without serializing)",
    load: httpLoad(500_000, 1000),
    sink: true,
    config: (env) => `${PROBE_PLUGIN}${agentSection(env, '100ms')}${httpListener(env)}${PROCESSORS}
[[outputs.latency_probe]]
  url = "${env.sinkUrl.replace(/\/write$/, '/histogram')}"
  metric_batch_size = ${env.outputBatch}
`,
  },
  {
    name: 'latency-500k-http-out',
    description:
      'as latency-500k, the output being the http output (line protocol) to a sink in the bench ' +
      "that reads each line's send stamp: end-to-end including serializing and a second HTTP hop",
    load: httpLoad(500_000, 1000),
    sink: true,
    config: (env) => `${agentSection(env, '100ms')}${httpListener(env)}${PROCESSORS}
[[outputs.http]]
  url = "${env.sinkUrl}"
  metric_batch_size = ${env.outputBatch}
`,
  },
  {
    name: 'generator-to-kafka',
    description:
      'generator input -> kafka output (real broker from scripts/services.sh at 127.0.0.1:9092, ' +
      'batches of metrics per message, lz4, acks=all) with a blocking buffer: the sustained produce rate',
    load: null,
    sink: false,
    onlyWhenNamed: true,
    config: (env) => `${agentSection(env)}
[[inputs.generator]]
  rate = 2000000
  batch_size = 5000
  series = 10000
  tag_count = 4
  field_count = 4

[[outputs.kafka]]
  brokers = ["127.0.0.1:9092"]
  topic = "viva-bench-${Date.now()}"
  batch_per_message = true
  compression = "lz4"
${BLOCK}`,
  },
  {
    name: 'kafka-to-discard',
    description:
      'kafka_consumer input (real broker from scripts/services.sh, a fresh 4-partition topic filled ' +
      'before the agent starts with corpus messages of 1000 lines, lz4) -> discard: the consume rate',
    load: null,
    sink: false,
    onlyWhenNamed: true,
    prepare: (_env, run) =>
      prefilledTopic(run, { partitions: 4, lines: 1000, compression: 'lz4', maxRate: 1_500_000 }),
    config: (env) => `${agentSection(env)}
[[inputs.kafka_consumer]]
  brokers = ${JSON.stringify(kafkaBrokers())}
  topics = ["${env.vars.topic}"]
  consumer_group = "${env.vars.group}"
  offset = "oldest"
  data_format = "influx"
${seriesCache(env)}
[[outputs.discard]]
${BLOCK}`,
  },
  {
    name: 'proto-http-pipeline-workers',
    description:
      'as http-pipeline, with the PROTOTYPE listener sharing the parsing between the event loop and ' +
      'worker threads (--parse-workers, --max-queued-bytes)',
    load: httpLoad(),
    sink: false,
    onlyWhenNamed: true,
    config: (env) => `${PROTO_PLUGINS}${agentSection(env)}${workersListener(env)}${PROCESSORS}
[[outputs.discard]]
${BLOCK}`,
  },
  {
    name: 'collector-ingest',
    description:
      'binary batches of 5000 metrics, gzip level 1 (as the viva output sends them), 8 concurrent ' +
      'POSTs /v1/batch -> viva collector (spool, spool_fsync from --spool-fsync or NAME@POLICY) -> discard',
    load: { transport: 'viva', connections: 8, batch: 5000, processes: 1, rate: 0 },
    sink: false,
    collector: collectorToDiscard,
  },
  {
    name: 'agent-to-collector',
    description:
      'http_listener (4 concurrent POSTs of 5000 lines) -> viva output (binary, gzip 1) -> viva ' +
      'collector (spool) -> discard: three processes, end to end',
    load: httpLoad(),
    sink: false,
    config: (env) => `${agentSection(env)}${httpListener(env)}
[[outputs.viva]]
  urls = ["http://127.0.0.1:${env.collectorPort}"]
  agent_id = "bench-agent"
${BLOCK}`,
    collector: collectorToDiscard,
  },
  kafkaCollectors(1),
  kafkaCollectors(2),
];

/**
 * The scenario by name, or an error listing the known ones. `NAME@POLICY` (e.g.
 * `collector-ingest@never`) is a collector scenario with that spool_fsync.
 */
export function scenario(spec: string): { scenario: Scenario; spoolFsync?: SpoolFsync } {
  const [name, policy] = spec.split('@');
  if (policy !== undefined && !SPOOL_FSYNC.includes(policy as SpoolFsync))
    throw new Error(`"${spec}": spool_fsync policy must be one of ${SPOOL_FSYNC.join(', ')}`);
  const s = SCENARIOS.find((x) => x.name === name);
  if (s === undefined)
    throw new Error(`unknown scenario "${name}"; known: ${SCENARIOS.map((x) => x.name).join(', ')}`);
  if (policy !== undefined && s.collector === undefined)
    throw new Error(`"${spec}": only a collector scenario takes a spool_fsync policy`);
  return { scenario: s, spoolFsync: policy as SpoolFsync | undefined };
}
