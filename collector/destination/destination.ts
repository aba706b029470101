/**
 * A destination: a spool reader at its own position, the route chains that send to it, and a
 * group of outputs in priority order, each behind a circuit breaker. One loop per destination:
 * read records → route → run each route's processors → write to the first output whose breaker
 * allows it → commit the position. Nothing is committed before it is written (or dead-lettered),
 * so an outage of every output, a crash or a restart resumes from the position, in order.
 */
import type { Counter, Histogram } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { decodeBatch, peekBatchCount } from '../../core/format/binary/index.ts';
import { applyFilter, type CompiledFilter } from '../../core/engine/filter/filter.ts';
import type { RunningProcessor } from '../../core/engine/running/processor.ts';
import { sleep } from '../../core/engine/sleep.ts';
import { LogThrottle } from '../../core/engine/telemetry/log-throttle.ts';
import type { Telemetry } from '../../core/engine/telemetry/telemetry.ts';
import { ErrorCode } from '../../core/model/errors/codes.ts';
import { WriteError } from '../../core/model/errors/errors.ts';
import type { Metric } from '../../core/model/metric/metric.ts';
import type { OutputInstance } from '../../core/plugin/types.ts';
import type { DestinationConfig } from '../config.ts';
import { decodeRecord } from '../ingest/record.ts';
import type { BatchPlan, CompiledRoute, Router } from '../route/router.ts';
import { BREAKER_GAUGE, CircuitBreaker, type BreakerState } from './breaker.ts';
import type { DeadLetterFile } from './dead-letter.ts';
import {
  addEncoded,
  chunkEncoded,
  decodeEncoded,
  emptyEncoded,
  takesBinary,
  type Encoded,
} from './encoded.ts';

/** What a destination needs of the spool. */
export interface SpoolRecordLike {
  readonly payload: Buffer;
  readonly appendedAt: number;
  readonly seq: number;
}
export interface SpoolReaderLike {
  read(maxRecords: number, maxBytes: number, signal?: AbortSignal): Promise<SpoolRecordLike[]>;
  commit(rec: SpoolRecordLike): void;
  rewind(): void;
  readonly lagBytes: number;
  readonly lagRecords: number;
  readonly oldestUncommittedAt: number | null;
  close(): void;
}

export interface DestinationOutput {
  alias: string;
  label: string;
  instance: OutputInstance;
  abort: AbortController;
  /** The output table's own filters (namepass, tagdrop, fieldexclude, ...), applied before each write. */
  filter: CompiledFilter;
}

/** A route's processors, instantiated for this destination. */
export interface RouteChain {
  route: CompiledRoute;
  processors: RunningProcessor[];
  /** Aborted when the destination stops (the processors' contexts). */
  aborts: AbortController[];
}

export interface DestinationOptions {
  config: DestinationConfig;
  reader: SpoolReaderLike;
  router: Router;
  chains: RouteChain[];
  outputs: DestinationOutput[];
  deadLetter: DeadLetterFile | null;
  /** This destination counts the routing totals (dropped, unrouted): only one does, so they count once. */
  countsRouting: boolean;
  telemetry: Telemetry;
  log: Logger;
  /**
   * Called with each chunk of metric objects an output took (the dashboard's latency, alerts and
   * anomalies); batches written still encoded (`writeBinary`) are not decoded for it.
   */
  delivered?: (metrics: readonly Metric[]) => void;
}

export interface OutputHealthView {
  output: string;
  breaker: BreakerState;
  lastError?: string;
}

export interface DestinationHealth {
  destination: string;
  /** ok: the first output takes the data; failover: a later one does; down: none does. */
  state: 'ok' | 'failover' | 'down';
  outputs: OutputHealthView[];
  lag_records: number;
  lag_bytes: number;
  /** Seconds since the oldest record this destination has not delivered was spooled (0 when caught up). */
  age_seconds: number;
}

const MAX_RECORDS_PER_READ = 256;
/** Agents whose routing plan is remembered (cleared when more send). */
const MAX_PLANS = 10_000;
/** Retry delay while a breaker is still closed (a failure below the threshold). */
const RETRY_MIN_MS = 100;

interface Slot {
  o: DestinationOutput;
  breaker: CircuitBreaker;
  connected: boolean;
  /** A connect() in progress (at start or before a write): one at a time. */
  connecting: Promise<void> | null;
  lastError: string | undefined;
}

export class Destination {
  readonly name: string;
  private readonly opts: DestinationOptions;
  private readonly slots: Slot[];
  private readonly wanted: Set<number>;
  private readonly log: Logger;
  private readonly throttle: LogThrottle;
  private stopping = false;
  private loop: Promise<void> | null = null;
  private readAbort: AbortController | null = null;
  private sleepAbort = new AbortController();
  /** Metrics processors emitted on their own (window ends): written with the next batch. */
  private emitted: Metric[] = [];
  /** What the processors returned when they stopped, written once at closeOutputs. */
  private leftovers: Metric[] = [];
  private lastServed = 0;
  /** Per sending agent, how its batches are routed when that does not depend on the metrics. */
  private readonly plans = new Map<string, BatchPlan | null>();
  /** True when every output takes binary batches, so a batch needing no metric objects stays encoded. */
  private readonly binary: boolean;
  private readonly c: {
    written: Counter;
    failures: Counter;
    dead: Counter;
    routeMetrics: Counter;
    routeDropped: Counter;
    unrouted: Counter;
    corrupt: Counter;
    latency: Histogram;
  };
  private readonly breakerGauge: ReturnType<Telemetry['gauge']>;

  constructor(opts: DestinationOptions) {
    this.opts = opts;
    this.name = opts.config.name;
    this.log = opts.log;
    this.throttle = new LogThrottle(opts.log);
    const b = opts.config.breaker;
    this.slots = opts.outputs.map((o) => ({
      o,
      breaker: new CircuitBreaker({ failures: b.failures, openFor: b.open_for, maxOpenFor: b.max_open_for }),
      connected: false,
      connecting: null,
      lastError: undefined,
    }));
    this.wanted = new Set(opts.chains.map((c) => c.route.index));
    this.binary = opts.outputs.length > 0 && opts.outputs.every(takesBinary);
    const t = opts.telemetry;
    this.c = {
      written: t.counter('viva_collector_destination_metrics', 'Metrics written by a destination, by output'),
      failures: t.counter('viva_collector_destination_write_failures', 'Failed writes (retried), by output'),
      dead: t.counter(
        'viva_collector_dead_letters',
        'Metrics an output refused for good, by destination and outcome',
      ),
      routeMetrics: t.counter('viva_collector_route_metrics', 'Metrics a route sent to a destination'),
      routeDropped: t.counter('viva_collector_route_dropped', 'Metrics a drop route discarded'),
      unrouted: t.counter('viva_collector_unrouted', 'Metrics no route matched (discarded)'),
      corrupt: t.counter(
        'viva_collector_spool_corrupt_records',
        'Spool records that could not be decoded (skipped)',
      ),
      latency: t.histogram('viva_collector_destination_write_latency', 'Duration of one write to an output'),
    };
    this.breakerGauge = t.gauge(
      'viva_collector_breaker_state',
      'Circuit breaker of each output of a destination: 0 closed, 1 half-open, 2 open',
    );
    this.publishBreakers();
  }

  /** Starts the processors and the loop. */
  async start(): Promise<void> {
    for (const chain of this.opts.chains) await this.startChain(chain);
    this.startReading();
  }

  /** Stops reading, then the processors, then writes what they held and closes the outputs. */
  async stop(graceMs: number): Promise<void> {
    await this.stopReading(graceMs);
    for (const chain of this.opts.chains) for (const a of chain.aborts) a.abort();
    for (const chain of this.opts.chains) await this.stopChain(chain);
    await this.closeOutputs(graceMs);
  }

  // The steps of start and stop, one per node of the pipeline graph (collector/graph.ts):
  // the spool reader (source), each route chain, the outputs (sink).

  /** Starts a route chain's processors and their ticks. */
  async startChain(chain: RouteChain): Promise<void> {
    for (let k = 0; k < chain.processors.length; k++) {
      const p = chain.processors[k];
      const rest = chain.processors.slice(k + 1);
      // What a processor emits on its own (its tick: window ends, alert re-sends) goes through
      // the rest of its chain and is written with the next batch.
      const emit = (metrics: Metric[]): void => {
        void this.runChainFrom(rest, metrics).then((out) => {
          if (out.length === 0) return;
          for (const m of out) this.emitted.push(m);
          this.readAbort?.abort();
        });
      };
      await p.instance.start?.(emit);
      p.startTicking(emit);
    }
  }

  /** Starts the loop: read at the position, route, process, write, commit. */
  startReading(): void {
    // Outputs connect now, not at their first write: an InfluxDB output provisions its database
    // at start and on every reload. A failure here is retried before the next write.
    for (const slot of this.slots)
      this.connect(slot).catch((e: unknown) =>
        this.log.warn(
          { output: slot.o.alias, err: e instanceof Error ? e.message : String(e) },
          'output could not connect at start; retried before its first write',
        ),
      );
    this.loop = this.run();
  }

  /** Stops reading; waits up to `graceMs` for the write in flight. */
  async stopReading(graceMs: number): Promise<void> {
    this.stopping = true;
    this.readAbort?.abort();
    this.sleepAbort.abort();
    const loop = this.loop;
    if (loop !== null) await withTimeout(loop, graceMs);
  }

  /** Stops a route chain's processors; what they still hold (open windows) is kept for closeOutputs. */
  async stopChain(chain: RouteChain): Promise<void> {
    for (const a of chain.aborts) a.abort();
    for (let k = 0; k < chain.processors.length; k++) {
      await chain.processors[k].stopTicking();
      const left = await Promise.resolve(chain.processors[k].instance.stop?.()).catch(() => undefined);
      if (Array.isArray(left) && left.length > 0)
        for (const m of await this.runChainFrom(chain.processors.slice(k + 1), left)) this.leftovers.push(m);
    }
  }

  /** Writes what the processors held once, if an output takes it; closes the reader and outputs. */
  async closeOutputs(graceMs: number): Promise<void> {
    const rest = [...this.leftovers, ...this.emitted];
    this.leftovers = [];
    this.emitted = [];
    if (rest.length > 0) await withTimeout(this.writeOnce(rest), Math.min(graceMs, 2000));
    this.opts.reader.close();
    for (const s of this.slots) {
      s.o.abort.abort();
      // A connect at start still running (an unreachable server) ends before the output closes.
      if (s.connecting !== null)
        await withTimeout(
          s.connecting.catch(() => undefined),
          Math.min(graceMs, 2000),
        );
      await Promise.resolve(s.o.instance.close?.()).catch(() => undefined);
      this.breakerGauge.remove({ destination: this.name, output: s.o.alias });
    }
  }

  health(now = Date.now()): DestinationHealth {
    const outputs = this.slots.map((s) => ({
      output: s.o.alias,
      breaker: s.breaker.state,
      ...(s.lastError !== undefined && s.breaker.state !== 'closed' ? { lastError: s.lastError } : {}),
    }));
    const firstOk = this.slots.findIndex((s) => s.breaker.state === 'closed');
    const r = this.opts.reader;
    const oldest = r.oldestUncommittedAt;
    return {
      destination: this.name,
      state: firstOk === 0 ? 'ok' : firstOk > 0 ? 'failover' : 'down',
      outputs,
      lag_records: r.lagRecords,
      lag_bytes: r.lagBytes,
      age_seconds: oldest === null ? 0 : Math.max(0, (now - oldest) / 1000),
    };
  }

  private publishBreakers(): void {
    for (const s of this.slots)
      this.breakerGauge.set(BREAKER_GAUGE[s.breaker.state], { destination: this.name, output: s.o.alias });
  }

  private async run(): Promise<void> {
    const { reader, config } = this.opts;
    // Records per read: enough for a few writes of batch_size, bounded by read_bytes.
    while (!this.stopping) {
      this.readAbort = new AbortController();
      let recs: SpoolRecordLike[];
      try {
        recs = await reader.read(MAX_RECORDS_PER_READ, config.read_bytes, this.readAbort.signal);
      } catch (e) {
        this.throttle.warn('read', { err: (e as Error).message }, 'spool read failed; retrying');
        await this.sleep(1000);
        continue;
      }
      if (this.stopping) {
        if (recs.length > 0) reader.rewind();
        break;
      }
      try {
        const routed = recs.length === 0 ? [] : await this.routeRecords(recs);
        const metrics = Array.isArray(routed) ? routed : [];
        if (this.emitted.length > 0) {
          for (const m of this.emitted) metrics.push(m);
          this.emitted = [];
        }
        const written =
          (Array.isArray(routed) || routed.count === 0 || (await this.deliver(routed))) &&
          (metrics.length === 0 || (await this.deliver(metrics)));
        if (!written) {
          // Stopping with the batch unwritten: it stays in the spool for the next start.
          reader.rewind();
          break;
        }
        if (recs.length > 0) reader.commit(recs[recs.length - 1]);
      } catch (e) {
        // Only a bug gets here: the records stay in the spool and are read again after a pause,
        // rather than the destination stopping for good.
        this.log.error(
          { err: e instanceof Error ? (e.stack ?? e.message) : String(e) },
          'destination step failed; retrying',
        );
        reader.rewind();
        await this.sleep(1000);
      }
    }
  }

  /**
   * Routes records without decoding their batches when every one of them can stay encoded
   * (`encodedRoute`) or goes nowhere here; null when some record needs its metrics.
   */
  private routeEncoded(recs: SpoolRecordLike[]): Encoded | null {
    const plans: BatchPlan[] = [];
    for (const rec of recs) {
      const plan = this.planOf(rec.payload);
      if (plan === null || (plan.to.length > 0 && !this.encodedRoute(plan))) return null;
      plans.push(plan);
    }
    const out = emptyEncoded();
    recs.forEach((rec, i) => {
      const batch = this.skipRecord(rec, plans[i]);
      if (batch === null) return;
      addEncoded(out, batch.batch, batch.count);
      this.c.routeMetrics.add(batch.count, { route: plans[i].to[0].name, destination: this.name });
    });
    return out;
  }

  /**
   * Counts a record routed by its plan without decoding its metrics; returns its batch and count
   * when the plan sends it to this destination, null when it goes nowhere here (or is corrupt).
   */
  private skipRecord(rec: SpoolRecordLike, plan: BatchPlan): { batch: Buffer; count: number } | null {
    let batch: Buffer;
    let count: number;
    try {
      batch = decodeRecord(rec.payload).batch;
      count = peekBatchCount(batch);
    } catch (e) {
      this.corrupt(rec, e);
      return null;
    }
    this.countRouting(plan.unrouted ? count : 0, plan.droppedBy, count);
    return plan.to.length === 0 ? null : { batch, count };
  }

  /** The routing plan of a record's agent (null: it depends on the metrics, or the record is bad). */
  private planOf(payload: Buffer): BatchPlan | null {
    let agent: string;
    try {
      agent = decodeRecord(payload).agent;
    } catch {
      return null;
    }
    let plan = this.plans.get(agent);
    if (plan === undefined) {
      if (this.plans.size >= MAX_PLANS) this.plans.clear();
      plan = this.opts.router.planFor(agent, this.wanted);
      this.plans.set(agent, plan);
    }
    return plan;
  }

  /** True when a plan's metrics go to the outputs as they are: one route without processors. */
  private encodedRoute(plan: BatchPlan): boolean {
    if (!this.binary || plan.to.length !== 1) return false;
    const chain = this.opts.chains.find((c) => c.route === plan.to[0]);
    return chain !== undefined && chain.processors.length === 0;
  }

  private countRouting(unrouted: number, droppedBy: number, dropped: number): void {
    if (!this.opts.countsRouting) return;
    if (unrouted > 0) this.c.unrouted.add(unrouted);
    if (droppedBy >= 0 && dropped > 0)
      this.c.routeDropped.add(dropped, { route: this.opts.router.routes[droppedBy].name });
  }

  private corrupt(rec: SpoolRecordLike, e: unknown): void {
    this.c.corrupt.add(1, { destination: this.name });
    this.throttle.warn(
      'corrupt',
      { code: ErrorCode.BUFFER_CORRUPT, seq: rec.seq, err: (e as Error).message },
      'spool record could not be decoded; skipped',
    );
  }

  /**
   * Routes records and runs the route chains; returns what goes to the outputs: binary batches
   * when none of them needs decoding (see encoded.ts), else metrics.
   */
  private async routeRecords(recs: SpoolRecordLike[]): Promise<Metric[] | Encoded> {
    const encoded = this.routeEncoded(recs);
    if (encoded !== null) return encoded;
    const out: Metric[] = [];
    const { router, chains, countsRouting } = this.opts;
    for (const rec of recs) {
      // A batch that goes nowhere here is counted from its header, not decoded.
      const plan = this.planOf(rec.payload);
      if (plan !== null && plan.to.length === 0) {
        this.skipRecord(rec, plan);
        continue;
      }
      let agent: string;
      let metrics: Metric[];
      try {
        const r = decodeRecord(rec.payload);
        agent = r.agent;
        metrics = decodeBatch(r.batch);
      } catch (e) {
        this.corrupt(rec, e);
        continue;
      }
      const routed = router.route(metrics, agent, this.wanted);
      if (countsRouting) {
        if (routed.unrouted > 0) this.c.unrouted.add(routed.unrouted);
        routed.dropped.forEach((n, i) => {
          if (n > 0) this.c.routeDropped.add(n, { route: router.routes[i].name });
        });
      }
      for (const chain of chains) {
        const sub = routed.byRoute[chain.route.index];
        if (sub.length === 0) continue;
        const done = await this.runChainFrom(chain.processors, sub);
        this.c.routeMetrics.add(done.length, { route: chain.route.name, destination: this.name });
        for (const m of done) out.push(m);
      }
    }
    return out;
  }

  private async runChainFrom(processors: RunningProcessor[], metrics: Metric[]): Promise<Metric[]> {
    let cur = metrics;
    for (const p of processors) {
      if (cur.length === 0) break;
      cur = await p.process(cur);
    }
    return cur;
  }

  /** Writes every metric (batch_size at a time); false only when stopping before it was written. */
  private async deliver(metrics: Metric[] | Encoded): Promise<boolean> {
    const size = this.opts.config.batch_size;
    if (!Array.isArray(metrics)) {
      for (const chunk of chunkEncoded(metrics, size)) if (!(await this.writeChunk(chunk))) return false;
      return true;
    }
    for (let i = 0; i < metrics.length; i += size) {
      const chunk = i === 0 && metrics.length <= size ? metrics : metrics.slice(i, i + size);
      if (!(await this.writeChunk(chunk))) return false;
    }
    return true;
  }

  /** One attempt on the first output that allows it (used at stop for what processors held). */
  private async writeOnce(metrics: Metric[]): Promise<void> {
    const slot = this.slots.find((s) => s.breaker.allows());
    if (slot === undefined) {
      this.log.warn(
        { count: metrics.length },
        'stopping with every output down: processor leftovers not written',
      );
      return;
    }
    try {
      const { kept } = applyFilter(slot.o.filter, metrics, true);
      if (kept.length > 0) await slot.o.instance.write(kept);
      this.c.written.add(kept.length, { destination: this.name, output: slot.o.alias });
    } catch (e) {
      this.log.warn(
        { count: metrics.length, err: (e as Error).message },
        'processor leftovers not written at stop',
      );
    }
  }

  /**
   * Writes one chunk, failing over along the outputs; false only when stopping first. Binary
   * batches are decoded for an output that does not take them, and for dead letters and retries.
   */
  private async writeChunk(initial: Metric[] | Encoded): Promise<boolean> {
    let chunk = initial;
    for (let attempt = 0; !this.stopping; attempt++) {
      const slot = this.slots.find((s) => s.breaker.allows());
      this.publishBreakers();
      if (slot === undefined) {
        const wait = Math.min(...this.slots.map((s) => s.breaker.waitMs()));
        await this.sleep(Math.max(10, wait));
        continue;
      }
      const index = this.slots.indexOf(slot);
      const started = performance.now();
      if (!Array.isArray(chunk) && !takesBinary(slot.o)) chunk = decodeEncoded(chunk);
      const given = chunk;
      // The output's own filters; partial-write indices refer to what it was given.
      let kept: Metric[] = Array.isArray(given) ? applyFilter(slot.o.filter, given, true).kept : [];
      const count = Array.isArray(given) ? kept.length : given.count;
      try {
        if (!slot.connected) await this.connect(slot);
        if (count > 0) {
          if (Array.isArray(given)) await slot.o.instance.write(kept);
          else await slot.o.instance.writeBinary?.(given.batches, given.count);
        }
        this.c.latency.record((performance.now() - started) / 1000, {
          destination: this.name,
          output: slot.o.alias,
        });
        this.succeeded(slot, index, count);
        if (Array.isArray(given)) this.opts.delivered?.(kept);
        return true;
      } catch (e) {
        const we = e instanceof WriteError ? e : undefined;
        // Dead letters and retries of part of a binary write need its metrics.
        if (!Array.isArray(given) && (we?.kind === 'permanent' || we?.kind === 'partial'))
          kept = decodeEncoded(given);
        if (we?.kind === 'permanent') {
          this.succeeded(slot, index, 0);
          this.deadLetter(kept, slot, we.message);
          return true;
        }
        if (we?.kind === 'partial') {
          this.succeeded(slot, index, kept.length - we.rejected.length - we.retry.length);
          if (we.rejected.length > 0)
            this.deadLetter(
              we.rejected.map((r) => kept[r.index]),
              slot,
              we.rejected[0].reason,
            );
          if (we.retry.length === 0) return true;
          chunk = we.retry.map((i) => kept[i]);
          continue;
        }
        this.failed(slot, e, we?.retryAfterMs);
        if (slot.breaker.allows()) await this.sleep(Math.min(RETRY_MIN_MS * 2 ** Math.min(attempt, 6), 5000));
      }
    }
    return false;
  }

  private connect(slot: Slot): Promise<void> {
    slot.connecting ??= Promise.resolve(slot.o.instance.connect?.())
      .then(() => {
        slot.connected = true;
      })
      .finally(() => {
        slot.connecting = null;
      });
    return slot.connecting;
  }

  private succeeded(slot: Slot, index: number, n: number): void {
    const was = slot.breaker.state;
    slot.breaker.success();
    slot.lastError = undefined;
    if (n > 0) this.c.written.add(n, { destination: this.name, output: slot.o.alias });
    if (was !== 'closed')
      this.log.info({ destination: this.name, output: slot.o.alias }, 'output is back; breaker closed');
    if (index !== this.lastServed) {
      this.log.info(
        { destination: this.name, output: slot.o.alias, from: this.slots[this.lastServed].o.alias },
        index > this.lastServed ? 'destination failed over' : 'destination failed back',
      );
      this.lastServed = index;
    }
    this.publishBreakers();
  }

  private failed(slot: Slot, e: unknown, retryAfterMs: number | undefined): void {
    const msg = e instanceof Error ? e.message : String(e);
    slot.lastError = msg;
    slot.connected = slot.connected && e instanceof WriteError;
    const was = slot.breaker.state;
    slot.breaker.failure(retryAfterMs);
    this.c.failures.add(1, { destination: this.name, output: slot.o.alias });
    if (slot.breaker.state === 'open' && was !== 'open')
      this.log.warn(
        {
          code: ErrorCode.WRITE_RETRYABLE,
          destination: this.name,
          output: slot.o.alias,
          err: msg,
          open_ms: slot.breaker.waitMs(),
        },
        'breaker opened: output skipped until a probe succeeds',
      );
    else
      this.throttle.warn(
        `fail:${slot.o.alias}`,
        { destination: this.name, output: slot.o.alias, err: msg },
        'write failed; will retry',
      );
    this.publishBreakers();
  }

  private deadLetter(metrics: Metric[], slot: Slot, reason: string): void {
    const file = this.opts.config.dead_letter ? this.opts.deadLetter : null;
    let outcome: 'stored' | 'discarded' | 'dropped_full' | 'dropped_error' = 'discarded';
    if (file !== null) {
      try {
        outcome = file.append(metrics, slot.o.alias, reason) ? 'stored' : 'dropped_full';
      } catch {
        // The dead-letter file cannot be written (a full disk): counted, the destination goes on.
        outcome = 'dropped_error';
      }
    }
    this.c.dead.add(metrics.length, { destination: this.name, outcome });
    this.throttle.warn(
      `dead:${outcome}`,
      {
        code: ErrorCode.WRITE_PERMANENT,
        destination: this.name,
        output: slot.o.alias,
        count: metrics.length,
        reason,
        outcome,
        file: file?.file,
      },
      'output refused metrics for good',
    );
  }

  private sleep(ms: number): Promise<void> {
    return this.stopping ? Promise.resolve() : sleep(ms, this.sleepAbort.signal);
  }
}

async function withTimeout(p: Promise<unknown>, ms: number): Promise<void> {
  let t: NodeJS.Timeout | undefined;
  await Promise.race([p.catch(() => undefined), new Promise<void>((r) => (t = setTimeout(r, ms)))]);
  clearTimeout(t);
}
