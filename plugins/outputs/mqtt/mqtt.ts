/**
 * The mqtt output: publishes one message per metric, or with `batch` one message per topic, to a
 * topic rendered from a template. With QoS 1 or 2 a write resolves once the broker has
 * acknowledged every message of the batch; a broker that is not connected fails the write as
 * retryable (the core retries; mqtt.js is never left to queue messages offline).
 */
import { connect } from 'mqtt';
import type { MqttClient } from 'mqtt';
import { WriteError } from '../../../core/model/errors/errors.ts';
import type { Serializer } from '../../../core/format/types.ts';
import type { Metric } from '../../../core/model/metric/metric.ts';
import type { OutputInstance, PluginContext } from '../../../core/plugin/types.ts';
import type { MqttOutputConfig } from './config.ts';
import { backoffReconnects, mqttClientOptions } from '../../../core/lib/mqtt/connection.ts';
import { compileTopic } from './topic.ts';
import type { TopicTemplate } from './topic.ts';

export class MqttOutput implements OutputInstance {
  private readonly cfg: MqttOutputConfig;
  private readonly serializer: Serializer;
  private readonly ctx: PluginContext;
  private readonly topicOf: TopicTemplate;
  private client: MqttClient | undefined;

  constructor(cfg: MqttOutputConfig, serializer: Serializer, ctx: PluginContext) {
    this.cfg = cfg;
    this.serializer = serializer;
    this.ctx = ctx;
    this.topicOf = compileTopic(cfg.topic);
  }

  connect(): Promise<void> {
    // queueQoSZero off: while disconnected a write fails (and is retried) instead of piling up in memory.
    const client = connect({ ...mqttClientOptions(this.cfg), clean: true, queueQoSZero: false });
    this.client = client;
    backoffReconnects(client, this.cfg);
    client.on('connect', () => this.ctx.log.info({ servers: this.cfg.servers }, 'mqtt output connected'));
    client.on('offline', () =>
      this.ctx.log.warn({ servers: this.cfg.servers }, 'mqtt broker connection lost; reconnecting'),
    );
    client.on('error', (e) => this.ctx.log.warn({ err: e.message }, 'mqtt client error'));
    return Promise.resolve();
  }

  /** The messages of a batch: [topic, payload] pairs. */
  private messages(metrics: Metric[]): [string, Buffer][] {
    if (!this.cfg.batch) {
      const out: [string, Buffer][] = [];
      const one: Metric[] = [metrics[0]];
      for (const m of metrics) {
        one[0] = m;
        const payload = this.serializer.serialize(one);
        if (payload.length > 0) out.push([this.topicOf(m), payload]);
      }
      return out;
    }
    const byTopic = new Map<string, Metric[]>();
    for (const m of metrics) {
      const topic = this.topicOf(m);
      const group = byTopic.get(topic);
      if (group === undefined) byTopic.set(topic, [m]);
      else group.push(m);
    }
    const out: [string, Buffer][] = [];
    for (const [topic, group] of byTopic) {
      const payload = this.serializer.serialize(group);
      if (payload.length > 0) out.push([topic, payload]);
    }
    return out;
  }

  write(metrics: Metric[]): Promise<void> {
    const client = this.client;
    if (client === undefined || !client.connected) {
      return Promise.reject(
        WriteError.retryable(`mqtt broker not connected (${this.cfg.servers.join(', ')})`),
      );
    }
    const messages = this.messages(metrics);
    if (messages.length === 0) return Promise.resolve();
    // One promise per batch: each publish callback counts down.
    return new Promise((resolve, reject) => {
      let left = messages.length;
      let failed = false;
      const done = (err?: Error): void => {
        if (failed) return;
        if (err !== undefined && err !== null) {
          failed = true;
          reject(WriteError.retryable(`mqtt publish failed: ${err.message}`, { cause: err }));
        } else if (--left === 0) resolve();
      };
      const opts = { qos: this.cfg.qos, retain: this.cfg.retain };
      for (const [topic, payload] of messages) client.publish(topic, payload, opts, done);
    });
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.endAsync();
  }
}
