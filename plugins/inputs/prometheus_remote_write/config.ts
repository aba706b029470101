import { z } from 'zod';
import { ackModeSchema } from '../../../core/lib/http/ack.ts';
import { backpressureWaitFits, backpressureWaitSchema } from '../../../core/lib/http/backpressure.ts';
import { duration, size } from '../../../core/config/duration.ts';
import { secret } from '../../../core/config/secret.ts';
import { hostPortSchema } from '../../../core/lib/listen/address.ts';

/** Config of the prometheus_remote_write input. */
export const prometheusRemoteWriteConfig = z
  .strictObject({
    service_address: hostPortSchema
      .default('127.0.0.1:9201')
      .describe('host:port to listen on ("0.0.0.0:9201" for all interfaces).'),
    path: z
      .string()
      .regex(/^\//, 'must start with "/"')
      .default('/api/v1/write')
      .describe('URL path that takes the remote write POSTs.'),
    metric_version: z
      .union([z.literal(1), z.literal(2)])
      .default(2)
      .describe(
        'Mapping: 2 = measurement "prometheus_remote_write" with one field named after __name__; 1 = measurement __name__ with field "value".',
      ),
    max_body_size: size
      .prefault('32MiB')
      .describe('Largest request body, compressed or decompressed; larger ones get 413.'),
    max_connections: z
      .number()
      .int()
      .positive()
      .default(1024)
      .describe('Connections served at once; more are closed at once and counted.'),
    max_inflight_body_size: size
      .prefault('256MiB')
      .describe('Bytes of request bodies held at once (all requests); a write past it gets 503.'),
    read_timeout: duration.prefault('10s').describe('Deadline for receiving a whole request.'),
    write_timeout: duration
      .prefault('10s')
      .describe('Close a connection idle this long while a response is pending.'),
    keep_alive_timeout: duration
      .prefault('30s')
      .describe('How long an idle keep-alive connection stays open.'),
    token: secret.optional().describe('Require this token (Authorization: Bearer ...).'),
    basic_username: secret.optional().describe('Require HTTP basic auth with this user.'),
    basic_password: secret.optional().describe('Password of basic_username.'),
    ack: ackModeSchema,
    backpressure_wait: backpressureWaitSchema,
    retry_after: duration
      .prefault('1s')
      .describe('Retry-After of a 429 answered while the pipeline pushes back.'),
    tls_cert: z.string().optional().describe('PEM certificate file: serve HTTPS.'),
    tls_key: z.string().optional().describe('PEM key file of tls_cert.'),
    tls_client_ca: z.string().optional().describe('PEM CA file: require client certificates signed by it.'),
  })
  .refine(backpressureWaitFits, {
    message: 'backpressure_wait must be below read_timeout (a held request must still be read in time)',
    path: ['backpressure_wait'],
  })
  .refine((c) => (c.tls_cert === undefined) === (c.tls_key === undefined), {
    message: 'tls_cert and tls_key go together',
    path: ['tls_key'],
  })
  .refine((c) => c.basic_username === undefined || c.basic_password !== undefined, {
    message: 'basic_username needs basic_password',
    path: ['basic_password'],
  });

export type PrometheusRemoteWriteConfig = z.output<typeof prometheusRemoteWriteConfig>;
