/**
 * The figures of the collector scenarios: ingest and delivery rates read from the collector's
 * /metrics over the window, the spool's append rate and lag, CPU and memory of the collector (and
 * of the agent in front of it), and the acknowledgement latency as the load generator saw it.
 */
import { histogramBetween } from './histogram.ts';
import { histogramQuantiles, type Scrape, total } from './prom.ts';
import type { Window } from './run.ts';

type Result = Record<string, unknown>;

const round = (x: number, d = 2): number => (Number.isFinite(x) ? Number(x.toFixed(d)) : x);

/** Bytes a spool record adds to a batch: version, agent id length, the agent id. */
const RECORD_HEADER = (agentId: string): number => 2 + Buffer.byteLength(agentId);

/** How much a counter grew over the window. */
function delta(before: Scrape, after: Scrape, name: string): number {
  return total(after, name) - total(before, name);
}

/** Per-second rate of a counter over the window. */
function rate(before: Scrape, after: Scrape, secs: number, name: string): number {
  return (total(after, name) - total(before, name)) / secs;
}

/**
 * The collector's figures. `alone`: the load generator posts to it (events_per_s is its ingest
 * rate); `behind-agent`: an agent's viva output does (events_per_s is what reached the discard
 * output, end to end, and the agent's own figures come too).
 */
export function collectorFigures(w: Window, mode: 'alone' | 'behind-agent'): Result {
  const { before, after } = w;
  const secs = (after.at - before.at) / 1000;
  const behind = mode === 'behind-agent';
  const cb = behind ? (before.second?.metrics ?? []) : before.metrics;
  const ca = behind ? (after.second?.metrics ?? []) : after.metrics;
  const ccpu = behind ? (after.second?.cpu ?? NaN) - (before.second?.cpu ?? NaN) : after.cpu - before.cpu;
  const ingested = rate(cb, ca, secs, 'viva_collector_ingest_metrics_total');
  const delivered = rate(cb, ca, secs, 'viva_collector_destination_metrics_total');
  const batches = rate(cb, ca, secs, 'viva_collector_ingest_batches_total');
  // Bytes appended to the spool: the binary batches the load generator had accepted (it knows
  // their size before gzip) plus each record's header; behind an agent only the gzipped body
  // size is known (viva_collector_ingest_bytes_total).
  const lb = before.load;
  const la = after.load;
  const payload = !behind && lb !== null && la !== null ? (la.payloadBytes - lb.payloadBytes) / secs : NaN;
  const appendBytes = payload + batches * RECORD_HEADER('bench-loadgen-1');
  // The histogram is registered as viva_collector_ingest_ack_latency (unit s); take whichever
  // name the exporter gave it.
  const ackName = ca.some((x) => x.name === 'viva_collector_ingest_ack_latency_seconds_bucket')
    ? 'viva_collector_ingest_ack_latency_seconds'
    : 'viva_collector_ingest_ack_latency';
  const ack = histogramQuantiles(cb, ca, ackName, [0.5, 0.99]);
  const out: Result = {
    events_per_s: Math.round(behind ? delivered : ingested),
    collector_ingest_per_s: Math.round(ingested),
    collector_delivered_per_s: Math.round(delivered),
    // What ingest took and the destination has not delivered yet, grown over the window (events),
    // and the destination's lag at its end (gauges, published every few seconds).
    spool_lag_growth_events: Math.round((ingested - delivered) * secs),
    spool_lag_records_end: total(ca, 'viva_collector_destination_lag_records'),
    spool_lag_mb_end: round(total(ca, 'viva_collector_destination_lag_bytes') / 1e6, 1),
    spool_bytes_mb_end: round(total(ca, 'viva_collector_spool_bytes') / 1e6, 1),
    spool_append_batches_per_s: round(batches, 1),
    spool_append_mb_per_s: behind ? undefined : round(appendBytes / 1e6, 1),
    ingest_body_mb_per_s: round(rate(cb, ca, secs, 'viva_collector_ingest_bytes_total') / 1e6, 1),
    collector_ack_p50_ms: round(ack[0]),
    collector_ack_p99_ms: round(ack[1]),
    collector_rejected:
      total(ca, 'viva_collector_ingest_rejected_total') - total(cb, 'viva_collector_ingest_rejected_total'),
    collector_cpu_util: round(ccpu / secs),
    collector_cpu_s_per_million: round(ccpu / ((ingested * secs) / 1e6), 3),
    collector_peak_rss_mb: round(behind ? w.secondPeakRss : w.peakRss, 1),
    duration_s: round(secs, 1),
  };
  if (!behind) return out;
  const acpu = after.cpu - before.cpu;
  // One write of the viva output: encode, gzip, POST, the collector's answer (one at a time).
  const write = histogramQuantiles(
    before.metrics,
    after.metrics,
    'viva_output_write_duration_seconds',
    [0.5, 0.99],
  );
  const gathered = rate(before.metrics, after.metrics, secs, 'viva_input_gathered_total');
  return {
    ...out,
    agent_events_per_s: Math.round(gathered),
    agent_written_per_s: Math.round(rate(before.metrics, after.metrics, secs, 'viva_output_written_total')),
    agent_cpu_util: round(acpu / secs),
    agent_cpu_s_per_million: round(acpu / ((gathered * secs) / 1e6), 3),
    agent_peak_rss_mb: round(w.peakRss, 1),
    agent_output_dropped:
      total(after.metrics, 'viva_output_dropped_total') - total(before.metrics, 'viva_output_dropped_total'),
    agent_buffer_end: total(after.metrics, 'viva_output_buffer_size'),
    agent_output_write_p50_ms: round(write[0]),
    agent_output_write_p99_ms: round(write[1]),
    agent_output_write_mean_ms: round(
      (delta(before.metrics, after.metrics, 'viva_output_write_duration_seconds_sum') * 1000) /
        delta(before.metrics, after.metrics, 'viva_output_write_duration_seconds_count'),
    ),
    agent_output_writes_per_s: round(
      delta(before.metrics, after.metrics, 'viva_output_write_duration_seconds_count') / secs,
      1,
    ),
  };
}

/** The load generators' side: offered rate, refusals, per-request latency, their CPU. */
export function loadFigures(w: Window): Result {
  const { before, after } = w;
  const secs = (after.at - before.at) / 1000;
  const lb = before.load;
  const la = after.load;
  if (lb === null || la === null) return {};
  const cpu = after.cpu - before.cpu + ((after.second?.cpu ?? 0) - (before.second?.cpu ?? 0));
  const own = after.ownCpu - before.ownCpu;
  const h = histogramBetween(lb.rttBuckets, la.rttBuckets, la.rttMax);
  return {
    // The round trip of each POST at the load generator: sent to answered (for the collector,
    // answered 204 once the batch is in the spool, fsynced under spool_fsync = "always").
    request_p50_ms: round(h.quantile(0.5)),
    request_p99_ms: round(h.quantile(0.99)),
    request_p999_ms: round(h.quantile(0.999)),
    requests: h.count,
    offered_per_s: Math.round((la.sent - lb.sent) / secs),
    accepted_per_s: Math.round((la.accepted - lb.accepted) / secs),
    http_429_lines: la.refused - lb.refused,
    failed_lines: la.failed - lb.failed,
    loadgen_cpu_util: round(own / secs),
    others_cpu_util: round(Math.max(0, (after.machine - before.machine - cpu - own) / secs)),
  };
}
