/**
 * The mqtt_consumer input: subscribes to topic filters and turns each message into metrics
 * (line protocol, JSON or a plain value), with the topic as a tag and topic_parsing rules applied.
 * Messages are pushed in batches (what one turn of the event loop received). A QoS 1 message is
 * acknowledged (PUBACK, in the order received, as MQTT requires) only once the pipeline has
 * delivered or durably buffered its batch; with a persistent session the broker sends what was
 * never acknowledged again after a reconnect or a restart. Reading stops while
 * max_undelivered_messages wait for delivery or the pipeline is saturated.
 */
import { connect } from 'mqtt';
import type { IClientOptions, IPublishPacket, ISubscriptionMap, MqttClient } from 'mqtt';
import type { Parser } from '../../../core/format/types.ts';
import type { Metric } from '../../../core/model/metric/metric.ts';
import type { Accumulator, InputInstance, PluginContext } from '../../../core/plugin/types.ts';
import type { MqttConsumerConfig } from './config.ts';
import { backoffReconnects, mqttClientOptions } from '../../../core/lib/mqtt/connection.ts';
import { applyRule, compileRules, ruleFor } from './topics.ts';
import type { CompiledRule } from './topics.ts';
import { withSeriesCacheMetrics } from '../../../core/format/series-cache-metrics.ts';
import { LogThrottle } from '../../../core/engine/telemetry/log-throttle.ts';

/** Most messages parsed into one pushed batch. */
const MAX_BATCH_MESSAGES = 5000;

/**
 * Handed to mqtt.js's handleMessage callback to let it read on without sending the PUBACK, which
 * this input sends itself once the batch is delivered.
 */
const PUBACK_LATER = new Error('PUBACK deferred until delivery');

/** One received message. */
interface Received {
  topic: string;
  payload: Buffer;
  /** Packet id of a QoS 1 message, acknowledged after delivery. */
  id: number | undefined;
}

/** A pushed batch waiting for its acknowledgement. */
interface Pending {
  delivered: boolean;
  messages: number;
  ids: number[];
  /** The connection the messages came on: a PUBACK only makes sense on that one. */
  connection: number;
}

/** The private mqtt.js method that writes a packet; there is no public way to send a PUBACK. */
type PacketSender = { _sendPacket(packet: { cmd: 'puback'; messageId: number }, cb?: () => void): void };

export class MqttConsumerInput implements InputInstance {
  private readonly cfg: MqttConsumerConfig;
  private readonly parser: Parser;
  private readonly ctx: PluginContext;
  private readonly rules: CompiledRule[];
  private client: MqttClient | undefined;
  private acc: Accumulator | undefined;
  private received: Received[] = [];
  private flushScheduled = false;
  /** Batches in push order; PUBACKs go out from the front only. */
  private readonly unacked: Pending[] = [];
  private undelivered = 0;
  private waitingForCapacity = false;
  /** mqtt.js continuations held back while reading is paused. */
  private held: (() => void)[] = [];
  private connection = 0;
  private readonly lost: (value?: number) => void;
  /** Drops under overload come with every batch: logged once per interval. */
  private readonly lostLog: LogThrottle;
  private readonly subscribed: (value: number) => void;

  constructor(cfg: MqttConsumerConfig, parser: Parser, ctx: PluginContext) {
    this.cfg = cfg;
    this.parser = withSeriesCacheMetrics(parser, ctx);
    this.ctx = ctx;
    this.lostLog = new LogThrottle(ctx.log, { now: () => ctx.clock.monotonic() });
    this.rules = compileRules(cfg.topic_parsing);
    this.lost = ctx.metrics.counter(
      'mqtt_undelivered_messages',
      'Messages whose batch the pipeline dropped (acknowledged anyway)',
    );
    this.subscribed = ctx.metrics.gauge(
      'subscribed',
      'Topic filters the broker granted on the current connection (0 while disconnected)',
    );
    this.subscribed(0);
  }

  start(acc: Accumulator): void {
    this.acc = acc;
    const opts: IClientOptions = {
      ...mqttClientOptions(this.cfg),
      clean: !this.cfg.persistent_session,
      resubscribe: false,
    };
    if (this.cfg.protocol_version === '5') {
      opts.properties = {
        receiveMaximum: Math.min(65_535, this.cfg.max_undelivered_messages),
        sessionExpiryInterval: this.cfg.persistent_session ? this.cfg.session_expiry : 0,
      };
    }
    const client = connect(opts);
    this.client = client;
    backoffReconnects(client, this.cfg);
    client.handleMessage = (packet, callback) => this.onPublish(packet, callback);
    client.on('connect', (connack) => this.connected(client, connack.sessionPresent));
    client.on('close', () => {
      this.held = [];
      this.subscribed(0);
    });
    client.on('offline', () =>
      this.ctx.log.warn({ servers: this.cfg.servers }, 'mqtt broker connection lost; reconnecting'),
    );
    client.on('error', (e) => this.ctx.log.warn({ err: e.message }, 'mqtt client error'));
  }

  private connected(client: MqttClient, sessionPresent: boolean): void {
    this.connection++;
    const topics: ISubscriptionMap = {};
    for (const t of this.cfg.topics) topics[t] = { qos: this.cfg.qos };
    client.subscribe(topics, (err, granted) => {
      if (err) {
        this.ctx.log.error({ err: err.message, topics: this.cfg.topics }, 'mqtt subscribe failed');
        return;
      }
      const refused = (granted ?? []).filter((g) => g.qos === 128).map((g) => g.topic);
      if (refused.length > 0) this.ctx.log.error({ topics: refused }, 'mqtt broker refused the subscription');
      const ok = (granted ?? []).filter((g) => g.qos !== 128);
      if (!client.connected) return; // answered on a connection that is gone
      this.subscribed(ok.length);
      if (ok.length > 0)
        this.ctx.log.info({ topics: ok.map((g) => `${g.topic} (QoS ${g.qos})`) }, 'mqtt subscribed');
    });
    this.ctx.log.info({ servers: this.cfg.servers, sessionPresent }, 'mqtt consumer connected');
  }

  /** Every incoming PUBLISH: queue it, and let mqtt.js read on unless reading is paused. */
  private onPublish(packet: IPublishPacket, callback: (err?: Error) => void): void {
    const deferred = packet.qos === 1;
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    this.received.push({ topic: packet.topic, payload, id: deferred ? packet.messageId : undefined });
    this.undelivered++;
    if (this.received.length >= MAX_BATCH_MESSAGES) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
    const proceed = deferred ? () => callback(PUBACK_LATER) : () => callback();
    if (this.paused()) this.held.push(proceed);
    else proceed();
  }

  private paused(): boolean {
    return this.waitingForCapacity || this.undelivered >= this.cfg.max_undelivered_messages;
  }

  private resumeReading(): void {
    while (this.held.length > 0 && !this.paused()) this.held.shift()?.();
  }

  /** Parses what arrived into one batch and pushes it with its acknowledgement. */
  private flush(): void {
    this.flushScheduled = false;
    const acc = this.acc;
    const messages = this.received;
    if (messages.length === 0 || acc === undefined) return;
    this.received = [];
    const metrics: Metric[] = [];
    const pending: Pending = {
      delivered: false,
      messages: messages.length,
      ids: [],
      connection: this.connection,
    };
    for (const msg of messages) {
      if (msg.id !== undefined) pending.ids.push(msg.id);
      this.parseInto(msg, metrics, acc);
    }
    this.unacked.push(pending);
    const open = acc.push(metrics, (delivered) => this.acked(pending, delivered));
    if (!open && !this.waitingForCapacity) {
      this.waitingForCapacity = true;
      acc.waitForCapacity().then(
        () => {
          this.waitingForCapacity = false;
          this.resumeReading();
        },
        () => undefined,
      );
    }
  }

  private parseInto(msg: Received, out: Metric[], acc: Accumulator): void {
    const r = this.parser.parse(msg.payload);
    for (const e of r.errors)
      acc.reject('unparsable message', { topic: msg.topic, line: e.line, error: e.message, text: e.text });
    if (r.metrics.length === 0) return;
    const segments = this.rules.length > 0 ? msg.topic.split('/') : [];
    const rule = this.rules.length > 0 ? ruleFor(this.rules, segments) : undefined;
    const tag = this.cfg.topic_tag;
    for (const m of r.metrics) {
      if (tag !== '') m.tags[tag] = msg.topic;
      if (rule !== undefined) {
        const problem = applyRule(rule, segments, m);
        if (problem !== undefined) acc.reject('topic parsing failed', { topic: msg.topic, error: problem });
      }
      out.push(m);
    }
  }

  /** A batch is delivered: acknowledge it and every delivered batch behind it, in order. */
  private acked(pending: Pending, delivered: boolean): void {
    // Not delivered means dropped on purpose by the pipeline (rejected for good, or evicted from a
    // full buffer); holding the PUBACK would stop every later one, as they go out in order.
    if (!delivered) this.undeliveredBatch(pending.messages);
    pending.delivered = true;
    this.undelivered -= pending.messages;
    const client = this.client;
    while (this.unacked.length > 0 && this.unacked[0].delivered) {
      const done = this.unacked.shift() as Pending;
      if (client === undefined || !client.connected || done.connection !== this.connection) continue;
      const sender = client as unknown as PacketSender;
      for (const id of done.ids) sender._sendPacket({ cmd: 'puback', messageId: id });
    }
    this.resumeReading();
  }

  /** Counts a batch the pipeline dropped, and logs it (at most once per interval). */
  private undeliveredBatch(messages: number): void {
    this.lost(messages);
    this.lostLog.warn(
      'undelivered',
      { messages },
      'the pipeline dropped batches read from MQTT; they are acknowledged anyway',
      messages,
    );
  }

  /**
   * Disconnects. Messages still in the pipeline are not acknowledged: with a persistent session
   * the broker sends them again on the next connection (at-least-once).
   */
  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.flush();
    this.held = [];
    if (client !== undefined) await client.endAsync(true);
  }
}
