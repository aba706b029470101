/**
 * Broker connection keys (servers, protocol version, client id, auth, TLS, keep-alive, reconnect
 * backoff) and their translation into mqtt.js options. Lives in core because the
 * mqtt_consumer input and the mqtt output connect the same way, and a plugin never imports another.
 */
import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { IClientOptions, MqttClient } from 'mqtt';
import { z } from 'zod';
import { duration } from '../../config/duration.ts';
import { secret } from '../../config/secret.ts';

/** Connection keys shared by the MQTT plugins. */
export const mqttConnectionKeys = {
  servers: z
    .array(
      z
        .string()
        .regex(
          /^(tcp|mqtt|ssl|mqtts|tls|ws|wss):\/\/[^\s/]+(\/.*)?$/,
          'use tcp://host:port, ssl://host:port or ws(s)://host:port/path',
        ),
    )
    .min(1)
    .default(['tcp://127.0.0.1:1883'])
    .describe('Brokers; the client connects to the first and moves to the next after a failure.'),
  protocol_version: z.enum(['3.1.1', '5']).default('3.1.1').describe('MQTT protocol version.'),
  client_id: z
    .string()
    .optional()
    .describe('Client id; a fixed one is needed for a persistent session (default: random).'),
  username: z.string().optional().describe('User name.'),
  password: secret.optional().describe('Password.'),
  keep_alive: duration.prefault('60s').describe('Keep-alive interval (0 disables).'),
  connection_timeout: duration.prefault('30s').describe('Deadline of the CONNECT handshake.'),
  reconnect_initial_backoff: duration
    .prefault('1s')
    .describe('First delay before reconnecting after a lost connection.'),
  reconnect_max_backoff: duration
    .prefault('60s')
    .describe('Longest delay between reconnection attempts (the delay doubles).'),
  tls_ca: z.string().optional().describe('PEM file of the CA to trust (ssl:// and wss:// servers).'),
  tls_cert: z.string().optional().describe('PEM client certificate file (mutual TLS).'),
  tls_key: z.string().optional().describe('PEM client key file (mutual TLS).'),
  insecure_skip_verify: z.boolean().default(false).describe('Skip TLS certificate checks (testing only).'),
};

/** The connection keys as parsed. */
export type MqttConnectionConfig = z.output<z.ZodObject<typeof mqttConnectionKeys>>;

const read = (file: string | undefined): Buffer | undefined =>
  file === undefined ? undefined : fs.readFileSync(file);

/** mqtt.js speaks of mqtt:// and mqtts:// where Telegraf configs say tcp:// and ssl://. */
function brokerUrl(server: string): URL {
  const u = new URL(server);
  if (u.protocol === 'tcp:') return new URL('mqtt:' + server.slice(4));
  if (u.protocol === 'ssl:' || u.protocol === 'tls:')
    return new URL('mqtts:' + server.slice(u.protocol.length));
  return u;
}

/** mqtt.js client options of a connection config (reads TLS files; call from start/connect). */
export function mqttClientOptions(cfg: MqttConnectionConfig): IClientOptions {
  const servers = cfg.servers.map(brokerUrl);
  const first = servers[0];
  return {
    protocol: first.protocol.slice(0, -1) as IClientOptions['protocol'],
    host: first.hostname,
    port: Number(first.port) || undefined,
    path: first.pathname !== '/' ? first.pathname : undefined,
    servers: servers.map((u) => ({
      host: u.hostname,
      port: Number(u.port) || (u.protocol === 'mqtts:' ? 8883 : 1883),
      protocol: u.protocol.slice(0, -1) as 'mqtt',
    })),
    protocolVersion: cfg.protocol_version === '5' ? 5 : 4,
    clientId: cfg.client_id ?? `viva-${randomBytes(6).toString('hex')}`,
    username: cfg.username,
    password: cfg.password,
    keepalive: Math.round(cfg.keep_alive / 1000),
    connectTimeout: cfg.connection_timeout,
    reconnectPeriod: cfg.reconnect_initial_backoff,
    ca: read(cfg.tls_ca),
    cert: read(cfg.tls_cert),
    key: read(cfg.tls_key),
    rejectUnauthorized: !cfg.insecure_skip_verify,
  };
}

/**
 * Exponential reconnect backoff: mqtt.js waits a fixed reconnectPeriod, so the period doubles on
 * every lost or failed connection and returns to the initial value once connected.
 */
export function backoffReconnects(client: MqttClient, cfg: MqttConnectionConfig): void {
  client.on('connect', () => {
    client.options.reconnectPeriod = cfg.reconnect_initial_backoff;
  });
  client.on('close', () => {
    const next = Math.min(
      cfg.reconnect_max_backoff,
      (client.options.reconnectPeriod ?? cfg.reconnect_initial_backoff) * 2,
    );
    client.options.reconnectPeriod = Math.max(cfg.reconnect_initial_backoff, next);
  });
}
