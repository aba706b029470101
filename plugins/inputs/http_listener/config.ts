import { z } from 'zod';
import { ackModeSchema } from '../../../core/lib/http/ack.ts';
import { backpressureWaitFits, backpressureWaitSchema } from '../../../core/lib/http/backpressure.ts';
import { duration, size } from '../../../core/config/duration.ts';
import { seriesCacheConfigShape } from '../../../core/format/registry.ts';
import { hostPortSchema } from '../../../core/lib/listen/address.ts';
import { secret } from '../../../core/config/secret.ts';

/** Config of the http_listener input. */
export const httpListenerConfig = z
  .strictObject({
    service_address: hostPortSchema
      .default('127.0.0.1:8186')
      .describe('host:port to listen on ("0.0.0.0:8186" for all interfaces).'),
    max_body_size: size
      .prefault('32MiB')
      .describe('Largest request body (after gunzip); larger ones get 413.'),
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
    token: secret
      .optional()
      .describe('Require this token (Authorization: Bearer/Token ..., or the v1 p= param).'),
    basic_username: secret
      .optional()
      .describe('Require HTTP basic auth (or v1 u=/p= params) with this user.'),
    basic_password: secret.optional().describe('Password of basic_username.'),
    database_tag: z.string().default('').describe('Tag named so carrying the v1 db= param ("" = none).'),
    retention_policy_tag: z
      .string()
      .default('')
      .describe('Tag named so carrying the v1 rp= param ("" = none).'),
    bucket_tag: z.string().default('').describe('Tag named so carrying the v2 bucket= param ("" = none).'),
    ...seriesCacheConfigShape,
    parse_workers: z
      .number()
      .int()
      .min(0)
      .max(16)
      .default(0)
      .describe(
        'Worker threads that parse line protocol bodies beside the event loop (0 = all on the event ' +
          'loop). A body goes to a worker only while it has at most one queued, so the event loop and ' +
          "the workers share the load: more lines/s and lower latency near a core's limit on a host " +
          'with 2+ cores. Costs memory: each worker has its own V8 heap and series cache (influx_series_cache).',
      ),
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

export type HttpListenerConfig = z.output<typeof httpListenerConfig>;
