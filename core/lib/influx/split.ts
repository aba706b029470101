/**
 * 413 handling: a batch the server finds too large is sent again in halves, within the same write,
 * down to single metrics (a single metric too large is dropped as permanent). The outcomes of the
 * parts are merged into one WriteError over the whole batch: what a part refused for good is
 * rejected, what failed retryably (and every part after it) is handed back to the core to retry.
 *
 * Shared by the influxdb (v1) and influxdb_v2 outputs, which handle 413 identically.
 */
import { WriteError } from '../../model/errors/errors.ts';
import type { RejectedMetric } from '../../model/errors/errors.ts';
import type { Metric } from '../../model/metric/metric.ts';

/** WriteErrors that mean "request entity too large". */
export const tooLarge = new WeakSet<WriteError>();

/** The merged outcome of the parts of one batch. */
interface Outcome {
  rejected: RejectedMetric[];
  retry: number[];
  retryAfterMs: number | undefined;
  first: WriteError | undefined;
}

const asWriteError = (e: unknown): WriteError =>
  e instanceof WriteError
    ? e
    : WriteError.retryable(e instanceof Error ? e.message : String(e), { cause: e });

const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);

/** Sends one part; false when the rest of the batch must wait for a retry. */
async function sendPart(
  metrics: Metric[],
  offset: number,
  send: (m: Metric[]) => Promise<void>,
  out: Outcome,
): Promise<boolean> {
  try {
    await send(metrics);
    return true;
  } catch (e) {
    const err = asWriteError(e);
    if (tooLarge.has(err) && metrics.length > 1) {
      const half = metrics.length >> 1;
      if (!(await sendPart(metrics.slice(0, half), offset, send, out))) {
        out.retry.push(...range(offset + half, metrics.length - half));
        return false;
      }
      return sendPart(metrics.slice(half), offset + half, send, out);
    }
    out.first ??= err;
    if (err.kind === 'permanent') {
      for (let i = 0; i < metrics.length; i++) out.rejected.push({ index: offset + i, reason: err.message });
      return true;
    }
    if (err.kind === 'partial') {
      for (const r of err.rejected) out.rejected.push({ index: offset + r.index, reason: r.reason });
      for (const i of err.retry) out.retry.push(offset + i);
      return true;
    }
    out.retry.push(...range(offset, metrics.length));
    out.retryAfterMs = err.retryAfterMs;
    return false;
  }
}

/** Writes a batch with `send`, halving it on 413; throws one WriteError over the whole batch. */
export async function writeHalving(metrics: Metric[], send: (m: Metric[]) => Promise<void>): Promise<void> {
  try {
    await send(metrics);
    return;
  } catch (e) {
    const err = asWriteError(e);
    if (!tooLarge.has(err) || metrics.length <= 1) throw err;
  }
  const out: Outcome = { rejected: [], retry: [], retryAfterMs: undefined, first: undefined };
  const half = metrics.length >> 1;
  if (await sendPart(metrics.slice(0, half), 0, send, out))
    await sendPart(metrics.slice(half), half, send, out);
  else out.retry.push(...range(half, metrics.length - half));
  const first = out.first;
  if (first === undefined) return;
  const message = `${first.message} (after splitting a batch the server found too large)`;
  if (out.retry.length === metrics.length)
    throw WriteError.retryable(message, { retryAfterMs: out.retryAfterMs });
  if (out.rejected.length === metrics.length) throw WriteError.permanent(message);
  throw WriteError.partial(message, {
    rejected: out.rejected,
    retry: out.retry,
    retryAfterMs: out.retryAfterMs,
  });
}
