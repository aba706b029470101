/**
 * Heartbeats shared between collectors (`[collector.fleet.kafka]`): each replica produces the
 * record of every heartbeat it takes to a compacted topic, keyed by agent id, and reads the whole
 * topic from its start, so every replica's registry holds the whole fleet (a record is kept when
 * it is newer than the one held). Kafka keeps the latest record per agent; no home-made
 * clustering. lastSeen is the clock of the collector that took the heartbeat: replicas' clocks
 * are assumed in sync (NTP) to well under the deadman time.
 */
import os from 'node:os';
import { randomUUID } from 'node:crypto';
import {
  Admin,
  Consumer,
  ProduceAcks,
  Producer,
  type Message,
  type MessagesStream,
} from '@platformatic/kafka';
import type { Logger } from 'pino';
import { LogThrottle } from '../../core/engine/telemetry/log-throttle.ts';
import type { Telemetry } from '../../core/engine/telemetry/telemetry.ts';
import { kafkaClientOptions } from '../../core/lib/kafka/connection.ts';
import { ErrorCode } from '../../core/model/errors/codes.ts';
import type { FleetKafkaSettings } from './config.ts';
import type { AgentRecord, FleetRegistry } from './registry.ts';

const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 30_000;

const errText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export class FleetShare {
  readonly settings: FleetKafkaSettings;
  private readonly registry: FleetRegistry;
  private readonly log: Logger;
  private readonly throttle: LogThrottle;
  private readonly telemetry: Telemetry;
  private producer: Producer | undefined;
  private consumer: Consumer | undefined;
  private stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;
  private pending = new Map<string, AgentRecord>();
  private flushTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private attempt = 0;
  private stopped = false;
  private unsubscribe: (() => void) | undefined;
  private sending: Promise<void> = Promise.resolve();

  constructor(o: {
    settings: FleetKafkaSettings;
    registry: FleetRegistry;
    log: Logger;
    telemetry: Telemetry;
  }) {
    this.settings = o.settings;
    this.registry = o.registry;
    this.log = o.log;
    this.telemetry = o.telemetry;
    this.throttle = new LogThrottle(o.log);
  }

  /** Starts sharing in the background: Kafka being down delays it, never the collector. */
  start(): void {
    this.unsubscribe = this.registry.onHeartbeat((r) => this.publish(r));
    this.connectSoon(0);
  }

  private connectSoon(ms: number): void {
    if (this.stopped) return;
    this.retryTimer = setTimeout(() => {
      this.connect().then(
        () => {
          this.attempt = 0;
        },
        (e: unknown) => {
          this.throttle.warn(
            'connect',
            { code: ErrorCode.FLEET, err: errText(e), brokers: this.settings.brokers },
            'fleet: kafka sharing not available; retrying',
          );
          void this.closeClients().finally(() =>
            this.connectSoon(Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.min(this.attempt++, 10))),
          );
        },
      );
    }, ms);
    this.retryTimer.unref();
  }

  private async connect(): Promise<void> {
    const s = this.settings;
    const base = kafkaClientOptions(s);
    await this.ensureTopic();
    this.producer = new Producer({ ...base, acks: ProduceAcks.ALL, retries: 2, retryDelay: 250 });
    // A group of its own each start, reading from the earliest offset and committing nothing: the
    // replica always reads the whole (compacted) topic.
    const consumer = new Consumer({
      ...base,
      groupId: `viva-fleet-${os.hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`,
      autocommit: false,
    });
    this.consumer = consumer;
    const stream = await consumer.consume({ topics: [s.topic], mode: 'earliest' });
    if (this.stopped) {
      await stream.close();
      return;
    }
    this.stream = stream;
    stream.on('data', (m: Message<Buffer, Buffer, Buffer, Buffer>) => this.received(m));
    stream.on('error', (e: Error) => {
      if (this.stopped) return;
      this.throttle.warn(
        'stream',
        { code: ErrorCode.FLEET, err: e.message },
        'fleet: kafka stream failed; reconnecting',
      );
      void this.closeClients().finally(() => this.connectSoon(RETRY_MIN_MS));
    });
    this.log.info({ topic: s.topic, brokers: s.brokers }, 'fleet: sharing heartbeats through kafka');
  }

  /** Creates the compacted topic when it is missing. */
  private async ensureTopic(): Promise<void> {
    const s = this.settings;
    const admin = new Admin(kafkaClientOptions(s));
    try {
      const topics = await admin.listTopics();
      if (topics.includes(s.topic)) return;
      try {
        await admin.createTopics({
          topics: [s.topic],
          partitions: s.partitions,
          replicas: s.replication_factor,
          configs: [{ name: 'cleanup.policy', value: 'compact' }],
        });
      } catch (e) {
        // Another replica created it at the same time.
        if (!/exists/i.test(errText(e))) throw e;
      }
    } finally {
      await admin.close();
    }
  }

  private received(m: Message<Buffer, Buffer, Buffer, Buffer>): void {
    const count = this.telemetry.counter(
      'viva_fleet_shared_records',
      'Agent records read from the shared topic',
    );
    if (m.value === undefined || m.value === null || m.value.length === 0) return;
    try {
      const r = JSON.parse(m.value.toString('utf8')) as AgentRecord;
      if (typeof r.id !== 'string' || typeof r.lastSeen !== 'number') return;
      count.add(1);
      this.registry.merge(r);
    } catch {
      this.throttle.warn(
        'record',
        { code: ErrorCode.FLEET, topic: this.settings.topic },
        'fleet: unreadable record skipped',
      );
    }
  }

  /** Queues a record; records go out together every flush_interval (the latest per agent). */
  publish(r: AgentRecord): void {
    this.pending.set(r.id, r);
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      this.sending = this.sending.then(() => this.flush());
    }, this.settings.flush_interval);
  }

  private async flush(): Promise<void> {
    const producer = this.producer;
    if (producer === undefined || this.pending.size === 0) return;
    const records = [...this.pending.values()];
    this.pending = new Map();
    try {
      await producer.send({
        messages: records.map((r) => ({
          topic: this.settings.topic,
          key: Buffer.from(r.id),
          value: Buffer.from(JSON.stringify(r)),
        })),
      });
      this.telemetry
        .counter('viva_fleet_shared_produced', 'Agent records produced to the shared topic')
        .add(records.length);
    } catch (e) {
      // The next heartbeat of each agent produces it again; nothing is retried here.
      this.throttle.warn('produce', { code: ErrorCode.FLEET, err: errText(e) }, 'fleet: records not shared');
    }
  }

  private async closeClients(): Promise<void> {
    const stream = this.stream;
    const consumer = this.consumer;
    const producer = this.producer;
    this.stream = undefined;
    this.consumer = undefined;
    this.producer = undefined;
    if (stream !== undefined && !stream.destroyed) await stream.close().catch(() => undefined);
    await consumer?.close(true).catch(() => undefined);
    await producer?.close().catch(() => undefined);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    clearTimeout(this.retryTimer);
    if (this.flushTimer !== undefined) {
      clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
      this.sending = this.sending.then(() => this.flush());
    }
    await this.sending;
    await this.closeClients();
  }
}
