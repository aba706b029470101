/**
 * The kafka_consumer input: a member of a consumer group. Messages are parsed in batches (what one
 * turn of the event loop read), pushed with one acknowledgement callback, and their offsets are
 * committed only once the pipeline has delivered or durably buffered the batch — in order per
 * partition (commits.ts), so a crash re-delivers but never skips. Reading stops while
 * max_undelivered_messages wait for delivery or while the pipeline is saturated.
 *
 * The client's stream is read in paused mode (read() on 'readable'), one full batch per turn of the
 * event loop: in flowing mode a resume() would emit everything the client buffered in one go (a
 * whole fetch, up to a million lines with batched messages) before the outputs could run, and
 * every pause()/resume() starts one more fetch whatever the stream already holds. Read this way,
 * the client fetches only while its buffer is under its high-water mark.
 */
import { Admin, Consumer } from '@platformatic/kafka';
import type { Message, MessagesStream } from '@platformatic/kafka';
import type { Parser } from '../../../core/format/types.ts';
import type { Metric } from '../../../core/model/metric/metric.ts';
import type { Accumulator, InputInstance, PluginContext } from '../../../core/plugin/types.ts';
import { CommitTracker } from './commits.ts';
import { GroupStats, startGroupAt } from './group.ts';
import { SpooledLedger, uncommitted } from './spooled.ts';
import type { PartitionLedger, SpooledRange } from './spooled.ts';
import type { TrackedBatch } from './commits.ts';
import type { KafkaConsumerConfig } from './config.ts';
import { kafkaClientOptions } from '../../../core/lib/kafka/connection.ts';
import { withSeriesCacheMetrics } from '../../../core/format/series-cache-metrics.ts';
import { LogThrottle } from '../../../core/engine/telemetry/log-throttle.ts';

type KafkaMessage = Message<Buffer, Buffer, Buffer, Buffer>;

/** A pushed batch holds what one turn of the event loop received, up to these bounds. */
const MAX_BATCH_MESSAGES = 5000;
const MAX_BATCH_METRICS = 10_000;
const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 30_000;
/** Longest a stop waits for offset commits already sent. */
const COMMIT_WAIT_MS = 5000;
/** Period of the lag and partitions-owned self-metrics. */
const STATS_INTERVAL_MS = 5000;

const errText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export class KafkaConsumerInput implements InputInstance {
  private readonly cfg: KafkaConsumerConfig;
  private readonly parser: Parser;
  private readonly ctx: PluginContext;
  private readonly tracker = new CommitTracker();
  private readonly stats: GroupStats;
  private statsTimer: NodeJS.Timeout | undefined;
  private acc: Accumulator | undefined;
  private consumer: Consumer | undefined;
  private stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;
  private topics: string[] = [];
  /** The batch being gathered: parsed metrics, message count, each partition's first and last message. */
  private pendingMetrics: Metric[] = [];
  private pendingMessages = 0;
  private readonly lastOfPartition = new Map<string, KafkaMessage>();
  private readonly rangeOfPartition = new Map<string, SpooledRange>();
  /** Acknowledged batches whose commit may not have reached Kafka (spooled.ts). */
  private readonly ledger: SpooledLedger;
  /** What a previous run left in the ledger, counted against the group's offsets at the first join. */
  private leftover = new Map<string, PartitionLedger>();
  private readonly uncommittedSpooled: (value?: number, attrs?: Record<string, string>) => void;
  private readonly maybeDuplicated: (value?: number, attrs?: Record<string, string>) => void;
  /** Commits of the acknowledgement being handled, sent once the ledger is written. */
  private toCommit: KafkaMessage[] = [];
  private commitsScheduled = false;
  private flushScheduled = false;
  private pullScheduled = false;
  private undelivered = 0;
  /** Bumped on every group (re)join: acknowledgements of older batches no longer commit. */
  private generation = 0;
  private waitingForCapacity = false;
  /** A reread (on_undelivered) is under way: cleared by the next connect. */
  private rereading = false;
  private stopped = false;
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private readonly committed: (value?: number) => void;
  private readonly lost: (value?: number) => void;
  /** Drops under overload come with every batch: logged once per interval. */
  private readonly lostLog: LogThrottle;
  /** Offset commits sent and not answered yet. */
  private readonly commits = new Set<Promise<void>>();

  constructor(cfg: KafkaConsumerConfig, parser: Parser, ctx: PluginContext) {
    this.cfg = cfg;
    this.parser = withSeriesCacheMetrics(parser, ctx);
    this.ctx = ctx;
    this.lostLog = new LogThrottle(ctx.log, { now: () => ctx.clock.monotonic() });
    this.stats = new GroupStats(ctx);
    this.committed = ctx.metrics.counter('kafka_commits', 'Offset commits after delivery');
    this.ledger = new SpooledLedger(ctx.stateDir);
    this.uncommittedSpooled = ctx.metrics.counter(
      'kafka_uncommitted_spooled_messages',
      'Messages a previous run of this instance spooled whose commit never reached Kafka: the group delivers them again (duplicates certain)',
    );
    this.maybeDuplicated = ctx.metrics.counter(
      'kafka_uncertain_duplicate_messages',
      'Messages a previous run of this instance may have spooled without a commit (a commit or a spool write in flight at the crash): duplicates or not',
    );
    this.lost = ctx.metrics.counter(
      'kafka_undelivered_messages',
      'Messages whose batch the pipeline dropped (committed anyway)',
    );
  }

  /** Joins the group in the background: an unreachable broker is retried, never fatal. */
  start(acc: Accumulator): void {
    this.acc = acc;
    this.stopped = false;
    this.leftover = this.ledger.takeLeftover();
    this.connectSoon(0);
  }

  private connectSoon(delayMs: number): void {
    if (this.stopped) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.connect().then(
        () => {
          this.attempt = 0;
          this.rereading = false;
        },
        (e: unknown) => {
          this.attempt++;
          const delay = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.min(this.attempt, 10));
          this.ctx.log.warn(
            { err: errText(e), retryInMs: delay, brokers: this.cfg.brokers },
            'kafka consumer could not start; retrying',
          );
          void this.closeClient().finally(() => this.connectSoon(delay));
        },
      );
    }, delayMs);
  }

  private async connect(): Promise<void> {
    this.topics = await this.resolveTopics();
    const consumer = new Consumer({
      ...kafkaClientOptions(this.cfg),
      groupId: this.cfg.consumer_group,
      autocommit: false,
      sessionTimeout: this.cfg.session_timeout,
      heartbeatInterval: this.cfg.heartbeat_interval,
      maxWaitTime: this.cfg.fetch_max_wait,
      highWaterMark: Math.min(1024, this.cfg.max_undelivered_messages),
    });
    this.consumer = consumer;
    consumer.on('consumer:group:join', () => this.rejoined());
    consumer.on('consumer:group:rebalance', () => this.rebalancing());
    if (this.leftover.size > 0) await this.countLeftover();
    if (this.cfg.start_at_time !== undefined && this.topics.length > 0) await this.placeNewGroup(consumer);
    if (this.topics.length === 0) {
      this.ctx.log.warn({ pattern: this.cfg.topic_pattern }, 'no topic matches yet; looking again later');
    } else {
      const stream = await consumer.consume({
        topics: this.topics,
        mode: 'committed',
        fallbackMode: this.cfg.offset === 'oldest' ? 'earliest' : 'latest',
      });
      if (this.stopped) {
        await stream.close();
        return;
      }
      this.stream = stream;
      stream.on('readable', () => {
        if (!this.pullScheduled) this.pull();
      });
      stream.on('error', (e: Error) => this.failed(e));
      this.ctx.log.info(
        { topics: this.topics, group: this.cfg.consumer_group },
        'kafka consumer joined its group',
      );
      this.throttle();
      this.publishStats(consumer);
    }
    if (this.cfg.topic_pattern !== undefined) this.scheduleRefresh();
  }

  /**
   * What a previous run (killed before its commits reached Kafka) spooled at or after the group's
   * committed offsets is delivered again: counted and logged once, then forgotten (the ledger on
   * disk is rewritten empty, so a second crash does not count it twice).
   */
  private async countLeftover(): Promise<void> {
    const admin = new Admin(kafkaClientOptions(this.cfg));
    let committed: Map<string, bigint>;
    try {
      const [group] = await admin.listConsumerGroupOffsets({ groups: [this.cfg.consumer_group] });
      committed = new Map(
        (group?.topics ?? []).flatMap((t) =>
          t.partitions.map((p) => [`${t.name}/${p.partitionIndex}`, p.committedOffset] as const),
        ),
      );
    } finally {
      await admin.close();
    }
    for (const [key, entry] of this.leftover) {
      const u = uncommitted(entry, committed.get(key));
      if (u.max === 0) continue;
      const cut = key.lastIndexOf('/');
      const [topic, partition] = [key.slice(0, cut), key.slice(cut + 1)];
      this.uncommittedSpooled(u.min, { topic, partition });
      this.maybeDuplicated(u.max - u.min, { topic, partition });
      this.ctx.log.warn(
        { topic, partition, fromOffset: String(u.from), atLeast: u.min, atMost: u.max },
        u.min === u.max
          ? `${u.min} messages spooled before a crash were not committed: the group delivers them again (duplicates)`
          : `between ${u.min} and ${u.max} messages spooled before a crash were not committed: the group delivers them again (duplicates)`,
      );
    }
    this.leftover = new Map();
    this.ledger.persist();
  }

  /** start_at_time: a group without offsets starts at that time. */
  private async placeNewGroup(consumer: Consumer): Promise<void> {
    const at = Date.parse(this.cfg.start_at_time ?? '');
    const admin = new Admin(kafkaClientOptions(this.cfg));
    try {
      const placed = await startGroupAt(consumer, admin, this.cfg.consumer_group, this.topics, at);
      if (placed)
        this.ctx.log.info(
          { group: this.cfg.consumer_group, at: new Date(at).toISOString() },
          'new kafka consumer group starts at start_at_time',
        );
    } catch (e) {
      // Another member may have joined first (the group is not empty any more): its offsets stand.
      this.ctx.log.warn({ err: errText(e) }, 'could not place the new group at start_at_time');
    } finally {
      await admin.close();
    }
  }

  /** Lag and partitions owned, now and every STATS_INTERVAL_MS while this client lives. */
  private publishStats(consumer: Consumer): void {
    if (this.consumer !== consumer || this.stopped) return;
    void this.stats.publish(consumer).finally(() => {
      if (this.consumer !== consumer || this.stopped) return;
      this.statsTimer = setTimeout(() => this.publishStats(consumer), STATS_INTERVAL_MS);
    });
  }

  /** Configured topics plus the ones matching topic_pattern, sorted. */
  private async resolveTopics(): Promise<string[]> {
    const topics = new Set(this.cfg.topics);
    if (this.cfg.topic_pattern !== undefined) {
      const re = new RegExp(this.cfg.topic_pattern);
      const admin = new Admin(kafkaClientOptions(this.cfg));
      try {
        for (const t of await admin.listTopics()) if (re.test(t) && !t.startsWith('__')) topics.add(t);
      } finally {
        await admin.close();
      }
    }
    return [...topics].sort();
  }

  private scheduleRefresh(): void {
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      this.resolveTopics().then(
        (topics) => {
          if (topics.join('\n') === this.topics.join('\n')) this.scheduleRefresh();
          else this.restart(`topics changed to ${topics.join(', ')}`);
        },
        (e: unknown) => {
          this.ctx.log.warn({ err: errText(e) }, 'could not list topics');
          this.scheduleRefresh();
        },
      );
    }, this.cfg.topic_refresh_interval);
  }

  /** A stream or group failure: drop the client and join again; unacked messages come again. */
  private failed(e: Error): void {
    if (this.stopped) return;
    this.ctx.log.warn({ err: e.message }, 'kafka consumer failed; rejoining');
    this.restart(e.message);
  }

  private restart(reason: string): void {
    if (this.stopped) return;
    this.ctx.log.info({ reason }, 'restarting kafka consumer');
    this.attempt++;
    const delay = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.min(this.attempt, 10));
    void this.closeClient().finally(() => this.connectSoon(delay));
  }

  /**
   * A rebalance began: what was read goes to the pipeline now, so that its acknowledgement (a
   * spool append in the collector: milliseconds) commits while this member still owns the
   * partitions, before the group completes the rebalance; the next owner then starts after it.
   */
  private rebalancing(): void {
    this.stats.rebalance();
    this.flush();
  }

  /** After a (re)join the stream reads again from the committed offsets: older batches must not commit. */
  private rejoined(): void {
    this.flush();
    // Commits released by acknowledgements before the join go out as before it.
    this.sendCommits();
    const assignments = this.consumer?.assignments ?? [];
    this.stats.keepOnly(assignments);
    this.ledger.keepOnly(new Set(assignments.flatMap((a) => a.partitions.map((p) => `${a.topic}/${p}`))));
    this.generation++;
    this.tracker.reset();
  }

  /**
   * Reads what the client has buffered while nothing holds, until a batch is full: the next one is
   * read on the next turn of the event loop, after the outputs and timers had theirs.
   */
  private pull(): void {
    this.pullScheduled = false;
    const stream = this.stream;
    if (stream === undefined) return;
    while (!this.holding()) {
      const m = stream.read() as KafkaMessage | null;
      // Nothing buffered: 'readable' calls again when the client has more.
      if (m === null) return;
      if (this.receive(m)) {
        this.pullSoon();
        return;
      }
    }
  }

  private pullSoon(): void {
    if (this.pullScheduled) return;
    this.pullScheduled = true;
    setImmediate(() => this.pull());
  }

  /** Parses a message into the batch being gathered; flushes it when large enough (returns true). */
  private receive(m: KafkaMessage): boolean {
    const acc = this.acc;
    if (acc === undefined) return false;
    // Fetched before a rebalance for a partition another member owns now: that member reads it.
    if (!this.stats.owns(m.topic, m.partition)) return false;
    // Already taken by this member before a rebalance or reconnect: pushed once is enough.
    if (!this.stats.fresh(m.topic, m.partition, m.offset)) return false;
    this.pendingMessages++;
    this.undelivered++;
    this.parseInto(m, this.pendingMetrics, acc);
    const key = m.topic + '/' + String(m.partition);
    this.lastOfPartition.set(key, m);
    const range = this.rangeOfPartition.get(key);
    if (range === undefined)
      this.rangeOfPartition.set(key, { first: m.offset, last: m.offset, messages: 1, acked: false });
    else {
      range.last = m.offset;
      range.messages++;
    }
    if (this.pendingMessages >= MAX_BATCH_MESSAGES || this.pendingMetrics.length >= MAX_BATCH_METRICS) {
      this.flush();
      return true;
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
    return false;
  }

  /** Pushes the gathered batch with its commit callback. */
  private flush(): void {
    this.flushScheduled = false;
    const acc = this.acc;
    if (this.pendingMessages === 0 || acc === undefined) return;
    const metrics = this.pendingMetrics;
    const batch = this.tracker.begin();
    batch.messages = this.pendingMessages;
    for (const [partition, m] of this.lastOfPartition)
      this.tracker.add(batch, partition, () => this.toCommit.push(m));
    const ranges = [...this.rangeOfPartition];
    for (const [key, range] of ranges) this.ledger.pushed(key, range);
    this.writeLedger(false);
    this.pendingMetrics = [];
    this.pendingMessages = 0;
    this.lastOfPartition.clear();
    this.rangeOfPartition.clear();
    const generation = this.generation;
    const open = acc.push(metrics, (delivered) => this.acked(batch, generation, delivered, ranges));
    if (!open) this.waitForCapacity(acc);
  }

  private parseInto(m: KafkaMessage, out: Metric[], acc: Accumulator): void {
    if (m.value === undefined || m.value === null || m.value.length === 0) return;
    const r = this.parser.parse(m.value);
    for (const e of r.errors) {
      acc.reject('unparsable message', {
        topic: m.topic,
        partition: m.partition,
        offset: String(m.offset),
        line: e.line,
        error: e.message,
        text: e.text,
      });
    }
    const tag = this.cfg.topic_tag;
    for (const metric of r.metrics) {
      if (tag !== undefined) metric.tags[tag] = m.topic;
      out.push(metric);
    }
  }

  private acked(
    batch: TrackedBatch,
    generation: number,
    delivered: boolean,
    ranges: [string, SpooledRange][],
  ): void {
    this.undelivered -= batch.messages;
    if (!delivered && this.cfg.on_undelivered === 'reread') {
      this.ledger.acked(ranges, false);
      this.reread();
      return;
    }
    // Not delivered means dropped on purpose by the pipeline (rejected for good, or evicted from a full
    // buffer); reading it again would not change that, and holding the offset would stop all commits.
    if (!delivered) this.undeliveredBatch(batch.messages);
    if (delivered && generation !== this.generation) this.spooledUncommitted(ranges);
    else this.ledger.acked(ranges, delivered);
    if (generation === this.generation) {
      this.tracker.ack(batch);
      this.sendCommitsSoon();
    }
    this.throttle();
  }

  /**
   * on_undelivered = "reread": the batch holds its partitions' offsets (nothing after it commits),
   * and the consumer rejoins to read again from the committed offsets, forgetting what it took.
   */
  private reread(): void {
    // Once per failure burst: the batches after it come back undelivered too, or are read again.
    if (this.stopped || this.rereading) return;
    this.rereading = true;
    this.sendCommits();
    this.generation++;
    this.tracker.reset();
    this.stats.reset();
    this.lostLog.warn(
      'reread',
      {},
      'the pipeline could not take a batch read from Kafka; reading again from the committed offsets',
    );
    this.restart('undelivered batch');
  }

  /** Counts a batch the pipeline dropped, and logs it (at most once per interval). */
  private undeliveredBatch(messages: number): void {
    this.lost(messages);
    this.lostLog.warn(
      'undelivered',
      { messages },
      'the pipeline dropped batches read from Kafka; their offsets are committed anyway',
      messages,
    );
  }

  /**
   * A batch spooled after this member moved to another generation (a rebalance, a reconnect, a
   * stop): nothing commits it, the group delivers it again. After a stop it stays in the ledger
   * (the next start counts it against the group's offsets); a partition another member owns now,
   * or that this member forgot (reconnect), is read again by someone and pushed again: counted
   * now; a partition this member still owns is read again by it and dropped as redelivered.
   */
  private spooledUncommitted(ranges: [string, SpooledRange][]): void {
    if (this.stopped) {
      this.ledger.acked(ranges, true);
      this.writeLedger(true);
      this.ledger.close();
      return;
    }
    this.ledger.acked(ranges, false);
    let counted = 0;
    for (const [key, range] of ranges) {
      const cut = key.lastIndexOf('/');
      const [topic, partition] = [key.slice(0, cut), key.slice(cut + 1)];
      if (this.stats.assigned(topic, Number(partition)) === true) continue;
      this.uncommittedSpooled(range.messages, { topic, partition });
      counted += range.messages;
    }
    if (counted > 0)
      this.lostLog.warn(
        'uncommitted',
        { messages: counted },
        'batches spooled after a rebalance or a reconnect were not committed: the group delivers them again (duplicates)',
        counted,
      );
  }

  /**
   * The acknowledgements of one turn of the event loop share one ledger write (an fdatasync). A
   * rejoin, a reread or a close sends what is waiting before it moves to the next generation, so
   * what waits here always belongs to the current one.
   */
  private sendCommitsSoon(): void {
    if (this.commitsScheduled) return;
    this.commitsScheduled = true;
    setImmediate(() => {
      this.commitsScheduled = false;
      this.sendCommits();
    });
  }

  /**
   * Sends the commits acknowledgements released, after writing the ledger: a crash before they
   * reach Kafka leaves the spooled ranges on disk for the next start to count.
   */
  private sendCommits(): void {
    const commits = this.toCommit;
    if (commits.length === 0 && this.ledger.pending === 0) return;
    this.toCommit = [];
    for (const m of commits) this.ledger.sending(`${m.topic}/${m.partition}`, m.offset + 1n);
    this.writeLedger(true);
    for (const m of commits) this.commit(m);
  }

  /** Writes the ledger; a failure is logged (at most every interval) and leaves duplicates uncounted. */
  private writeLedger(durable: boolean): void {
    try {
      this.ledger.persist(durable);
    } catch (e) {
      this.lostLog.warn(
        'ledger',
        { err: errText(e) },
        'could not write the kafka spooled ledger: duplicates after a crash may go uncounted',
      );
    }
  }

  private commit(m: KafkaMessage): void {
    const sent = new Promise<void>((resolve) => {
      void m.commit((e?: Error) => {
        if (e !== undefined && e !== null)
          this.ctx.log.warn(
            { err: e.message, topic: m.topic, partition: m.partition },
            'offset commit failed; the next one covers it',
          );
        else {
          this.committed();
          this.ledger.confirmed(`${m.topic}/${m.partition}`, m.offset + 1n);
        }
        resolve();
      });
    });
    this.commits.add(sent);
    void sent.then(() => this.commits.delete(sent));
  }

  /** Waits (at most COMMIT_WAIT_MS) for the commits already sent, so a clean stop loses none. */
  private async commitsSettled(): Promise<void> {
    if (this.commits.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, COMMIT_WAIT_MS)));
    await Promise.race([Promise.all(this.commits), late]);
    clearTimeout(timer);
  }

  private waitForCapacity(acc: Accumulator): void {
    if (this.waitingForCapacity) return;
    this.waitingForCapacity = true;
    this.throttle();
    acc.waitForCapacity().then(
      () => {
        this.waitingForCapacity = false;
        this.throttle();
      },
      () => undefined,
    );
  }

  /** Reading stops while too much is undelivered or the pipeline is saturated. */
  private holding(): boolean {
    return this.stopped || this.waitingForCapacity || this.undelivered >= this.cfg.max_undelivered_messages;
  }

  /** Reads on (next turn) unless something holds; what holds calls again when it lets go. */
  private throttle(): void {
    if (this.stream !== undefined && !this.holding()) this.pullSoon();
  }

  private async closeClient(): Promise<void> {
    if (this.refreshTimer !== undefined) clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
    clearTimeout(this.statsTimer);
    this.statsTimer = undefined;
    const stream = this.stream;
    const consumer = this.consumer;
    this.stream = undefined;
    this.consumer = undefined;
    this.flush();
    this.sendCommits();
    this.generation++;
    this.tracker.reset();
    await this.commitsSettled();
    // A clean stop: what Kafka confirmed is off the ledger, so the next start counts nothing for it.
    this.writeLedger(true);
    this.ledger.close();
    try {
      if (stream !== undefined && !stream.destroyed) await stream.close();
    } catch (e) {
      this.ctx.log.debug({ err: errText(e) }, 'closing the kafka stream failed');
    }
    try {
      await consumer?.close();
    } catch (e) {
      this.ctx.log.debug({ err: errText(e) }, 'closing the kafka consumer failed');
    }
  }

  /**
   * Stops fetching, waits for the offset commits already sent (those of delivered batches), and
   * leaves the group. Batches still in the pipeline are not committed: after a restart they are
   * read again (at-least-once).
   */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    await this.closeClient();
  }
}
