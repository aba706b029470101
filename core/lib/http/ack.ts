/**
 * When a listener input answers a write: at once ("received"), or once the pipeline has stored
 * the batch ("durable"). In a collector the sink is the spool, whose acknowledgement comes after
 * the append (and the fsync of spool_fsync = "always"): a 204 then means "in the spool", so a
 * kill -9 after it loses nothing. In an agent the acknowledgement waits for every output to deliver
 * or durably buffer the batch; waiting on it would hold requests while an output is down, so
 * "auto" answers on receipt there.
 */
import { z } from 'zod';
import type { Metric } from '../../model/metric/metric.ts';
import type { Accumulator } from '../../plugin/types.ts';

/** The `ack` option of a listener input. */
export const ackModeSchema = z
  .enum(['auto', 'received', 'durable'])
  .default('auto')
  .describe(
    'When a write is answered: "durable" once the pipeline acknowledges it (a failure gets 503), ' +
      '"received" once parsed, "auto" durable in a collector (its spool) and received in an agent.',
  );

/** When a listener answers a write. */
export type AckMode = z.output<typeof ackModeSchema>;

/** True when a write answered in `mode` waits for the pipeline's acknowledgement. */
export function waitsForAck(mode: AckMode, acc: Accumulator): boolean {
  return mode === 'durable' || (mode === 'auto' && acc.durableAcks === true);
}

/**
 * Pushes one request's batch. Resolves true when the answer may say "stored": at once when the
 * mode does not wait, else when the pipeline acknowledges it (false: it could not store it).
 * Each request awaits only its own acknowledgement; others go on meanwhile.
 */
export function pushForAnswer(acc: Accumulator, metrics: Metric[], mode: AckMode): Promise<boolean> | true {
  if (!waitsForAck(mode, acc)) {
    acc.push(metrics);
    return true;
  }
  return new Promise((resolve) => {
    acc.push(metrics, resolve);
  });
}
