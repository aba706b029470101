/**
 * Broker connection keys (brokers, client id, SASL, TLS, timeouts) and their translation into
 * @platformatic/kafka client options. Lives in core because both the kafka_consumer input and the
 * kafka output speak to brokers the same way, and a plugin never imports another plugin.
 */
import fs from 'node:fs';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import type { BaseOptions } from '@platformatic/kafka';
import { z } from 'zod';
import { duration } from '../../config/duration.ts';
import { secret } from '../../config/secret.ts';

/** Connection keys shared by every Kafka client (kafka_consumer input, kafka output). */
export const kafkaConnectionKeys = {
  brokers: z
    .array(z.string().regex(/^[^:\s]+:\d+$/, 'use host:port'))
    .min(1)
    .meta({ example: ['127.0.0.1:9092'] })
    .describe('Bootstrap brokers as host:port.'),
  client_id: z.string().min(1).default('viva').describe('Client id the brokers see in logs and quotas.'),
  sasl_mechanism: z
    .enum(['none', 'PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'])
    .default('none')
    .describe('SASL mechanism; none disables SASL.'),
  sasl_username: z.string().optional().describe('SASL user name.'),
  sasl_password: secret.optional().describe('SASL password.'),
  tls_enable: z.boolean().default(false).describe('Connect to the brokers over TLS.'),
  tls_ca: z.string().optional().describe('PEM file of the CA to trust.'),
  tls_cert: z.string().optional().describe('PEM client certificate file (mutual TLS).'),
  tls_key: z.string().optional().describe('PEM client key file (mutual TLS).'),
  tls_server_name: z.string().optional().describe('Server name to verify instead of the broker host.'),
  insecure_skip_verify: z.boolean().default(false).describe('Skip TLS certificate checks (testing only).'),
  connect_timeout: duration.prefault('10s').describe('Deadline of a broker connection.'),
  request_timeout: duration.prefault('30s').describe('Deadline of one request to a broker.'),
};

/** The connection keys as parsed. */
export type KafkaConnectionConfig = z.output<z.ZodObject<typeof kafkaConnectionKeys>>;

const read = (file: string | undefined): Buffer | undefined =>
  file === undefined ? undefined : fs.readFileSync(file);

/** TLS options, or undefined when TLS is off. Reads the PEM files (call from connect/start). */
function tlsOptions(cfg: KafkaConnectionConfig): TlsOptions | undefined {
  if (!cfg.tls_enable) return undefined;
  return {
    ca: read(cfg.tls_ca),
    cert: read(cfg.tls_cert),
    key: read(cfg.tls_key),
    servername: cfg.tls_server_name,
    rejectUnauthorized: !cfg.insecure_skip_verify,
  };
}

/** @platformatic/kafka base options of a client: brokers, id, timeouts, SASL and TLS. */
export function kafkaClientOptions(cfg: KafkaConnectionConfig): BaseOptions {
  const opts: BaseOptions = {
    clientId: cfg.client_id,
    bootstrapBrokers: cfg.brokers,
    connectTimeout: cfg.connect_timeout,
    requestTimeout: cfg.request_timeout,
    timeout: cfg.request_timeout,
    tls: tlsOptions(cfg),
  };
  if (cfg.sasl_mechanism !== 'none') {
    opts.sasl = { mechanism: cfg.sasl_mechanism, username: cfg.sasl_username, password: cfg.sasl_password };
  }
  return opts;
}

/** A SASL mechanism without credentials is a config error, caught before anything starts. */
export function checkSasl(
  cfg: { sasl_mechanism: string; sasl_username?: string },
  ctx: z.RefinementCtx,
): void {
  if (cfg.sasl_mechanism !== 'none' && cfg.sasl_username === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['sasl_username'],
      message: `sasl_mechanism ${cfg.sasl_mechanism} needs sasl_username`,
    });
  }
}
