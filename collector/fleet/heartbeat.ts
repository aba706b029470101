/**
 * The heartbeat an agent POSTs to /v1/heartbeat (JSON, docs/FLEET.md): checked by a strict-enough
 * schema (unknown keys are ignored, so a newer agent can add some; texts are capped) before the
 * registry takes it.
 */
import { z } from 'zod';
import { MAX_AGENT_ID_BYTES } from '../ingest/record.ts';

/** Longest text kept of a reported error or rejection. */
export const MAX_TEXT = 1000;

const text = z.string().transform((s) => (s.length > MAX_TEXT ? s.slice(0, MAX_TEXT) + '…' : s));
const rate = z.number().finite().nonnegative();

export const heartbeatSchema = z.object({
  id: z
    .string()
    .min(1)
    .refine((s) => Buffer.byteLength(s) <= MAX_AGENT_ID_BYTES, `longer than ${MAX_AGENT_ID_BYTES} bytes`)
    // eslint-disable-next-line no-control-regex
    .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'has control characters'),
  host: z.string().max(255).default(''),
  version: z.string().max(64).default(''),
  configHash: z.string().max(128).default(''),
  configVersion: z.string().max(128).optional(),
  configRejected: text.optional(),
  startedAt: z.number().finite().nonnegative(),
  uptimeSeconds: rate,
  intervalSeconds: z.number().finite().positive().max(86_400),
  status: z.string().max(32).optional(),
  metricsIn: rate.default(0),
  metricsOut: rate.default(0),
  rateIn: rate.default(0),
  rateOut: rate.default(0),
  errors: rate.default(0),
  errorRate: rate.default(0),
  bufferFill: z.number().finite().min(0).max(1).default(0),
  lastError: text.optional(),
});

export type Heartbeat = z.output<typeof heartbeatSchema>;
